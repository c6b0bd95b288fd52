"""The notification and job routes over HTTP with real signed tokens: a hospital reads and marks only
its own notifications, another province cannot retry a delivery, only the national admin sees jobs."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from services.core.actor import Actor, Role, system_actor
from services.notification import manage
from services.notification.record import record
from tests.api_harness import LiveApi
from tests.notification.conftest import QUARTER, World
from tests.notification.support import run_worker_until_idle
from tests.submission.support import GD, ZJ

NATIONAL_ADMIN = Actor(subject="nat-admin", roles=frozenset({Role.NATIONAL_ADMIN}))


def _due(world: World, hospital_id: int, province: str) -> None:
    with world.database.unit_of_work(system_actor("tests")) as s:
        record(
            s,
            kind="due_soon",
            dedup_key=f"api-due:{hospital_id}",
            province_code=province,
            hospital_id=hospital_id,
            payload={
                "hospital_id": hospital_id,
                "hospital_name": "医院",
                "quarter": QUARTER,
                "days": 1,
                "due_at": "-",
            },
        )


def test_a_hospital_reads_and_marks_only_its_own_notifications(world: World, live: LiveApi) -> None:
    _due(world, world.a, ZJ)
    _due(world, world.b, ZJ)
    a = live.client_for(world.submitter(world.a))
    mine = a.get("/api/v1/notifications").json()
    assert mine["unread"] == 1 and [i["payload"]["hospital_id"] for i in mine["items"]] == [world.a]
    b_items = live.client_for(world.submitter(world.b)).get("/api/v1/notifications").json()["items"]
    other = a.post(f"/api/v1/notifications/{b_items[0]['id']}/read")
    assert other.status_code == 404 and other.json()["error"] == "not_found"
    assert a.post(f"/api/v1/notifications/{mine['items'][0]['id']}/read").json() == {"unread": 0}
    assert live.client_for(world.admin(GD)).get("/api/v1/notifications").json()["items"] == []


def test_preferences_mute_a_kind_in_the_inbox(world: World, live: LiveApi) -> None:
    gd = live.client_for(world.submitter(world.gd, GD))
    _due(world, world.gd, GD)
    assert gd.get("/api/v1/notifications").json()["unread"] == 1
    assert (
        gd.put(
            "/api/v1/notifications/preferences",
            json={"kind": "due_soon", "channel": "inbox", "enabled": False},
        ).status_code
        == 200
    )
    assert gd.get("/api/v1/notifications").json() == {"unread": 0, "items": []}
    bad = gd.put(
        "/api/v1/notifications/preferences", json={"kind": "sometimes", "channel": "inbox", "enabled": False}
    )
    assert bad.status_code == 422


def test_another_province_cannot_retry_a_delivery_and_jobs_are_national_admin_only(
    world: World, live: LiveApi
) -> None:
    with world.database.unit_of_work(world.submitter(world.a)) as s:
        manage.add_contact(
            s, world.submitter(world.a), contact=manage.ContactIn(email="a@example.cn", organisation=True)
        )
    _due(world, world.a, ZJ)  # already recorded: the dedup key keeps it once
    with world.database.unit_of_work(system_actor("tests")) as s:
        record(
            s,
            kind="due_soon",
            dedup_key="api-due-2",
            province_code=ZJ,
            hospital_id=world.a,
            payload={
                "hospital_id": world.a,
                "hospital_name": "医院",
                "quarter": QUARTER,
                "days": 7,
                "due_at": "-",
            },
        )
    run_worker_until_idle(world.app_url)  # no SMTP configured: the e-mail fails and waits for its retry
    zj = live.client_for(world.admin()).get("/api/v1/notifications/deliveries").json()
    assert zj and all(d["channel"] == "email" for d in zj)
    assert "QCP_SMTP_HOST" in zj[0]["last_error"]
    gd_admin = live.client_for(world.admin(GD))
    assert gd_admin.post(f"/api/v1/notifications/deliveries/{zj[0]['id']}/retry").status_code == 404
    assert live.client_for(world.submitter(world.b)).get("/api/v1/notifications/deliveries").json() == []

    assert live.client_for(world.admin()).get("/api/v1/jobs").status_code == 403
    nat = live.client_for(NATIONAL_ADMIN)
    jobs = nat.get("/api/v1/jobs").json()
    assert {"notification.fan_out", "notification.deliver"} <= {j["task_name"] for j in jobs}
    owner = create_engine(world.owner_url)
    with owner.begin() as conn:
        failed = conn.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) VALUES"
                " ('default', 'notification.sweep', '{\"timestamp\": 0}', 'failed') RETURNING id"
            )
        ).scalar()
    owner.dispose()
    assert nat.post(f"/api/v1/jobs/{failed}/retry").json() == {"ok": True}
    again = nat.get("/api/v1/jobs", params={"status": "todo"}).json()
    assert any(j["task_name"] == "notification.sweep" and j["args"] == {"timestamp": 0} for j in again)
    assert nat.post(f"/api/v1/jobs/{again[0]['id']}/retry").status_code == 409
