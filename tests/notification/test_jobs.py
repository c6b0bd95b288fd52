"""The periodic and retrying jobs: due-date reminders reach exactly the hospitals that owe; a failing
webhook is retried with backoff and ends as a dead letter an admin can retry; the worker keeps
working after its database connections are killed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text

from services.core.quarter import Quarter
from services.jobs.queue import DEFAULT_QUEUE
from services.jobs.worker import BackgroundWorker
from services.notification import manage, triggers
from services.notification.record import record
from services.submission.schemas import ValueIn
from services.submission.service import submit
from tests.notification.conftest import QUARTER, World
from tests.notification.support import Receiver, run_worker_until_idle, smtp_server, webhook_receiver
from tests.submission.support import GD, ZJ

Q = Quarter.parse(QUARTER)


def _national(world: World):  # noqa: ANN202
    from services.core.actor import system_actor

    return world.database.unit_of_work(system_actor("tests"))


def _reminded(world: World) -> set[int]:
    with _national(world) as s:
        return set(s.scalars(text("SELECT hospital_id FROM notifications WHERE kind = 'due_soon'")))


def test_due_reminders_reach_exactly_the_hospitals_that_owe_once(world: World) -> None:
    a = world.submitter(world.a)
    with world.database.unit_of_work(a) as s:
        values = [ValueIn(indicator="NIT-2023-I.1", numerator=5, denominator=10)]
        submit(s, a, hospital_id=world.a, quarter=Q, values=values, source="api")
    with smtp_server() as smtp:
        with world.database.unit_of_work(world.submitter(world.b)) as s:
            b = world.submitter(world.b)
            manage.add_contact(s, b, contact=manage.ContactIn(email="b@example.cn", organisation=True))
        at = datetime.now(UTC)
        for _ in range(2):  # the periodic job twice: the second run records and sends nothing
            with _national(world) as s:
                triggers.due_reminders(s, at=at, days=[7, 1])
            run_worker_until_idle(world.app_url)
        # A submitted; the late joiner owes nothing yet; the inactive one is not asked
        assert _reminded(world) == {world.b, world.gd}
        assert smtp.recipients == [["b@example.cn"]]
        assert "3 天后截止" not in smtp.messages[0]["Subject"]  # the step (7 days), not a countdown
        assert "7" in smtp.messages[0]["Subject"]


def test_no_reminder_before_the_first_step(world: World) -> None:
    with _national(world) as s:
        assert triggers.due_reminders(s, at=datetime.now(UTC), days=[1]) == 0  # due in 3 days


def test_a_failing_webhook_is_retried_with_backoff_then_dead_and_retryable(world: World) -> None:
    with world.database.unit_of_work(world.admin(GD)) as s:
        created = manage.add_webhook(s, world.admin(GD), webhook=manage.WebhookIn(url="http://placeholder/"))
    with webhook_receiver(Receiver(secret=created.secret, always_fail=True)) as hook:
        with _national(world) as s:
            s.execute(
                text("UPDATE webhook_endpoints SET url = :u WHERE id = :i"), {"u": hook.url, "i": created.id}
            )
            record(
                s,
                kind="catalog_published",
                dedup_key="test-retry",
                province_code=GD,
                audience="qc_center",
                payload={"year": 2099, "revision": 1},
            )
        run_worker_until_idle(world.app_url)
        waits = []
        for _ in range(10):
            with _national(world) as s:
                row = s.execute(
                    text(
                        "SELECT j.id, extract(epoch FROM j.scheduled_at - now()) FROM procrastinate_jobs j"
                        " WHERE j.task_name = 'notification.deliver' AND j.status = 'todo'"
                    )
                ).first()
                if row is None:
                    break
                waits.append(row[1])
                s.execute(
                    text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = :i"), {"i": row[0]}
                )
            run_worker_until_idle(world.app_url)
        assert hook.refused == 6 and hook.hits == []  # QCP_DELIVERY_MAX_ATTEMPTS (6) attempts
        assert waits == sorted(waits) and waits[0] > 2 and waits[-1] > 500  # 4, 16, 64, 256, 1024 s
        with world.database.unit_of_work(world.admin(GD)) as s:
            dead = manage.deliveries(s, world.admin(GD), status="dead")
        assert len(dead) == 1 and dead[0].attempts == 6 and "HTTP 500" in dead[0].last_error
        with world.database.unit_of_work(world.admin()) as s:  # another province sees no dead letter of GD
            assert manage.deliveries(s, world.admin(), status="dead") == []
        hook.always_fail = False
        with world.database.unit_of_work(world.admin(GD)) as s:
            manage.retry_delivery(s, world.admin(GD), delivery_id=dead[0].id)
        run_worker_until_idle(world.app_url)
        assert len(hook.hits) == 1 and hook.hits[0]["kind"] == "catalog_published"


def test_hospitals_never_see_other_hospitals_notifications_as_the_app_role(world: World) -> None:
    engine = create_engine(world.app_url)
    with engine.begin() as conn:
        conn.execute(
            text("SELECT set_config('app.province', :p, true), set_config('app.hospital', :h, true)"),
            {"p": ZJ, "h": str(world.a)},
        )
        seen = set(conn.execute(text("SELECT coalesce(hospital_id, -1) FROM notifications")).scalars())
        assert seen <= {world.a, -1}
        audiences = set(conn.execute(text("SELECT audience FROM notifications")).scalars())
        assert "qc_center" not in audiences
        assert (
            conn.execute(
                text("SELECT count(*) FROM notification_deliveries WHERE hospital_id <> :h"), {"h": world.a}
            ).scalar()
            == 0
        )
        assert (
            conn.execute(
                text("SELECT count(*) FROM webhook_endpoints WHERE hospital_id IS DISTINCT FROM :h"),
                {"h": world.a},
            ).scalar()
            == 0
        )
    with engine.begin() as conn:  # another province's admin sees none of Zhejiang's
        conn.execute(text("SELECT set_config('app.province', :p, true)"), {"p": GD})
        assert (
            conn.execute(
                text("SELECT count(*) FROM notifications WHERE province_code = :z"), {"z": ZJ}
            ).scalar()
            == 0
        )
    with engine.begin() as conn, pytest.raises(Exception, match="row-level security"):
        conn.execute(
            text("SELECT set_config('app.province', :p, true), set_config('app.hospital', :h, true)"),
            {"p": ZJ, "h": str(world.b)},
        )
        conn.execute(
            text(
                "INSERT INTO notifications (id, province_code, hospital_id, audience, kind, dedup_key, title,"
                " title_en, body, body_en) VALUES (gen_random_uuid(), :p, :h, 'hospital', 'due_soon', 'x', '',"
                " '', '', '')"
            ),
            {"p": ZJ, "h": world.a},
        )
    engine.dispose()


def test_the_worker_keeps_processing_after_its_connections_are_terminated(world: World) -> None:
    with smtp_server() as smtp:
        with world.database.unit_of_work(world.submitter(world.gd, GD)) as s:
            gd = world.submitter(world.gd, GD)
            manage.add_contact(s, gd, contact=manage.ContactIn(email="gd-h@example.cn", organisation=True))

        worker = BackgroundWorker(world.app_url, queues=[DEFAULT_QUEUE]).start()
        try:
            _send(world, "restart-1")
            _wait_for(
                lambda: len(smtp.messages) == 1, timeout=60, what=f"before {smtp.recipients} {_jobs(world)}"
            )
            # The database name from the URL's path: the embedded server's URLs carry ?host=<socket dir>.
            db = urlparse(world.app_url).path.lstrip("/")
            admin = create_engine(world.owner_url)
            with admin.begin() as conn:
                killed = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = :d AND usename = 'qcp_app' AND pid <> pg_backend_pid()"
                    ),
                    {"d": db},
                ).scalar()
            admin.dispose()
            assert killed >= 1
            _send(world, "restart-2")
            _wait_for(lambda: len(smtp.messages) == 2, timeout=60, what=f"after {killed} terminated")
        finally:
            worker.stop()


def _send(world: World, key: str) -> None:
    with _national(world) as s:
        record(
            s,
            kind="due_soon",
            dedup_key=key,
            province_code=GD,
            hospital_id=world.gd,
            payload={
                "hospital_id": world.gd,
                "hospital_name": "广东医院",
                "quarter": QUARTER,
                "days": 1,
                "due_at": "-",
            },
        )


def _jobs(world: World) -> list[tuple[object, ...]]:
    with _national(world) as s:
        return [
            tuple(r)
            for r in s.execute(
                text(
                    "SELECT id, queue_name, task_name, status, attempts, scheduled_at > now() FROM procrastinate_jobs WHERE status IN ('todo', 'doing') ORDER BY id"
                )
            )
        ]


def _wait_for(check, timeout: float = 30, what: str = "") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"the worker did not deliver in time: {what}"
        time.sleep(0.2)


def test_window_opening_notifies_each_owing_hospital_once(world: World) -> None:
    at = datetime.now(UTC)
    with _national(world) as s:
        first = triggers.windows_opened(s, at=at)
    with _national(world) as s:
        assert triggers.windows_opened(s, at=at) == 0  # the periodic job again: nothing new
        told = set(s.scalars(text("SELECT hospital_id FROM notifications WHERE kind = 'window_opened'")))
    assert first <= len(told) and {world.b, world.gd} <= told
    assert not told & {world.late_joiner, world.inactive}


def test_qcp_worker_until_idle_processes_the_queue_as_the_app_role(world: World) -> None:
    import os
    import subprocess
    import sys

    with _national(world) as s:
        record(
            s,
            kind="catalog_published",
            dedup_key="cli-worker",
            province_code=None,
            audience="all",
            payload={"year": 2098, "revision": 1},
        )
    env = {**os.environ, "QCP_DATABASE_URL": world.app_url}
    done = subprocess.run(
        [sys.executable, "-c", "from platform_api.cli.main import main; main()", "worker", "--until-idle"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with _national(world) as s:
        left = s.scalar(text("SELECT count(*) FROM notifications WHERE fanned_out_at IS NULL"))
    assert left == 0
