"""Issue 17's "done when", on the demo data set (its own database, loaded by ``load_demo``): a
returned submission produces an inbox item, an e-mail captured by a real SMTP server and a signed
webhook received by a real receiver; an approaching due date reminds exactly the hospitals that owe
(compared with the completeness report, an independent reading of who owes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from services.core.actor import Actor, Role, system_actor
from services.core.db import Database
from services.core.quarter import Quarter
from services.demo.load import load_demo
from services.jobs import tasks
from services.notification import inbox, manage, triggers
from services.submission import review
from services.submission.completeness import completeness
from tests.db import fresh_database
from tests.notification.support import Receiver, run_worker_until_idle, smtp_server, webhook_receiver

ZJ = "330000"
Q = Quarter.parse("2023Q4")  # the demo's open quarter


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, str, Database, dict[str, int]]]:
    with fresh_database("qcp_notify_demo") as urls:
        hospitals, _centers = load_demo(urls.owner, echo=lambda _m: None)
        database = Database.from_url(urls.app, pool_size=4, max_overflow=4)
        tasks.use_database(database)
        try:
            yield urls.app, urls.owner, database, hospitals
        finally:
            tasks.use_database(None)
            database.dispose()


ADMIN = Actor(subject="zj-admin", roles=frozenset({Role.PROVINCIAL_ADMIN}), province=ZJ)


def _submitter(hospital_id: int) -> Actor:
    return Actor(
        subject=f"h-{hospital_id}",
        roles=frozenset({Role.HOSPITAL_SUBMITTER}),
        province=ZJ,
        hospital_id=hospital_id,
    )


def test_demo_returned_submission_reaches_inbox_email_and_signed_webhook(demo) -> None:  # noqa: ANN001
    app_url, _owner, db, _hospitals = demo
    with db.unit_of_work(ADMIN) as s:
        queue = review.review_queue(s, ADMIN, quarter=Q)
    assert queue, "the demo has 2023Q4 submissions awaiting review"
    hospital_id = queue[0].hospital_id
    h = _submitter(hospital_id)
    with db.unit_of_work(h) as s:
        manage.add_contact(s, h, contact=manage.ContactIn(email="qc@demo-hospital.cn", organisation=True))
        secret = manage.add_webhook(s, h, webhook=manage.WebhookIn(url="http://placeholder/")).secret
    with smtp_server() as smtp, webhook_receiver(Receiver(secret=secret)) as hook:
        with db.unit_of_work(system_actor("tests")) as s:
            s.execute(
                text("UPDATE webhook_endpoints SET url = :u WHERE hospital_id = :h"),
                {"u": hook.url, "h": hospital_id},
            )
        with db.unit_of_work(ADMIN) as s:
            review.return_submission(
                s, ADMIN, hospital_id=hospital_id, quarter=Q, comment="请核对分母 / check the denominators"
            )
        with db.unit_of_work(h) as s:
            items = inbox.inbox(s, h).items
        assert items[0].kind == "submission_returned" and "请核对分母" in items[0].body
        run_worker_until_idle(app_url)
        returned = [m for m in smtp.messages if "退回" in m["Subject"]]
        assert len(returned) == 1 and returned[0]["To"] == "qc@demo-hospital.cn"
        assert "English" in returned[0].get_content()
        hits = [x for x in hook.hits if x["kind"] == "submission_returned"]
        assert len(hits) == 1 and hits[0]["hospital_id"] == hospital_id and hook.refused == 0


def test_demo_due_date_reminds_exactly_the_hospitals_that_owe(demo) -> None:  # noqa: ANN001
    _app_url, owner, db, _hospitals = demo
    engine = create_engine(owner)
    with engine.begin() as conn:  # the ZJ 2023Q4 window is now due in three days
        conn.execute(
            text("UPDATE submission_windows SET due_at = :d WHERE province_code = :p AND quarter = :q"),
            {"d": datetime.now(UTC) + timedelta(days=3), "p": ZJ, "q": str(Q)},
        )
    engine.dispose()
    with db.unit_of_work(ADMIN) as s:
        report = completeness(s, ADMIN, quarter=Q, province_code=ZJ)
    owe = {h.hospital_id for h in report.hospitals if h.status in ("missing", "draft", "returned")}
    handed_in = {h.hospital_id for h in report.hospitals if h.status in ("submitted", "approved")}
    assert owe and handed_in
    with db.unit_of_work(system_actor("tests")) as s:
        triggers.due_reminders(s, at=datetime.now(UTC), days=[7, 1])
        reminded = set(
            s.scalars(
                text("SELECT hospital_id FROM notifications WHERE kind = 'due_soon' AND province_code = :p"),
                {"p": ZJ},
            )
        )
    assert reminded == owe
