"""Issue 17, done when: a returned submission produces an inbox item, an e-mail captured by a real
SMTP server and a signed webhook received by a real receiver; the job run twice sends nothing twice;
a correction awaiting review reaches the QC center only. The worker is procrastinate's own."""

from __future__ import annotations

from sqlalchemy import func, select, text

from services.core.quarter import Quarter
from services.jobs import queue
from services.models import NotificationDelivery
from services.notification import inbox, manage
from services.notification.delivery import DELIVER_TASK
from services.notification.record import FAN_OUT_TASK
from services.submission import review
from services.submission.schemas import ValueIn
from services.submission.service import submit
from tests.notification.conftest import QUARTER, World
from tests.notification.support import Receiver, run_worker_until_idle, smtp_server, webhook_receiver
from tests.submission.support import GD

Q = Quarter.parse(QUARTER)
VALUES = [ValueIn(indicator="NIT-2023-I.1", numerator=5, denominator=10)]


def _submit(world: World, hospital_id: int, reason: str | None = None) -> None:
    actor = world.submitter(hospital_id)
    with world.database.unit_of_work(actor) as s:
        submit(s, actor, hospital_id=hospital_id, quarter=Q, values=VALUES, source="api", reason=reason)


def _inbox(world: World, actor) -> inbox.Inbox:  # noqa: ANN001
    with world.database.unit_of_work(actor) as s:
        return inbox.inbox(s, actor)


def _set_up_addresses(world: World) -> str:
    with world.database.unit_of_work(world.submitter(world.a)) as s:
        actor = world.submitter(world.a)
        manage.add_contact(
            s, actor, contact=manage.ContactIn(email="quality@a.example.cn", organisation=True)
        )
        secret = manage.add_webhook(s, actor, webhook=manage.WebhookIn(url="http://placeholder/")).secret
    with world.database.unit_of_work(world.submitter(world.b)) as s:
        b = world.submitter(world.b)
        manage.add_contact(s, b, contact=manage.ContactIn(email="quality@b.example.cn", organisation=True))
    with world.database.unit_of_work(world.admin()) as s:
        manage.add_contact(
            s, world.admin(), contact=manage.ContactIn(email="qc@zj.example.cn", organisation=True)
        )
    with world.database.unit_of_work(world.admin(GD)) as s:
        manage.add_contact(
            s, world.admin(GD), contact=manage.ContactIn(email="qc@gd.example.cn", organisation=True)
        )
    return secret


def _point_webhook(world: World, url: str) -> None:
    with world.database.unit_of_work(world.admin()) as s:
        s.execute(
            text("UPDATE webhook_endpoints SET url = :u WHERE hospital_id = :h"), {"u": url, "h": world.a}
        )


def _deliveries(world: World) -> int:
    with world.database.unit_of_work(None) as s:
        s.execute(text("SELECT set_config('app.all_provinces', 'on', true)"))
        return s.scalar(select(func.count()).select_from(NotificationDelivery)) or 0


def test_a_returned_submission_reaches_inbox_email_and_signed_webhook_once(world: World) -> None:
    secret = _set_up_addresses(world)
    with smtp_server() as smtp, webhook_receiver(Receiver(secret=secret)) as hook:
        _point_webhook(world, hook.url)
        _submit(world, world.a)
        with world.database.unit_of_work(world.admin()) as s:
            review.return_submission(
                s, world.admin(), hospital_id=world.a, quarter=Q, comment="分母有误 / wrong denominator"
            )

        mine = _inbox(world, world.submitter(world.a))
        assert [i.kind for i in mine.items] == ["submission_returned"] and mine.unread == 1
        assert "分母有误" in mine.items[0].body and "returned" in mine.items[0].title_en
        assert _inbox(world, world.submitter(world.b)).items == []  # the other hospital hears nothing
        assert _inbox(world, world.submitter(world.gd, GD)).items == []

        run_worker_until_idle(world.app_url)

        assert smtp.recipients == [["quality@a.example.cn"]]
        msg = smtp.messages[0]
        assert "退回" in msg["Subject"] and "returned" in msg["Subject"]
        body = msg.get_content()
        assert "浙江甲医院" in body and "English" in body and "correct and resubmit" in body
        assert hook.refused == 0 and len(hook.hits) == 1
        assert hook.hits[0]["kind"] == "submission_returned" and hook.hits[0]["hospital_id"] == world.a

        # the same jobs again (no queueing lock): nothing is sent twice
        sent = _deliveries(world)
        with world.database.unit_of_work(None) as s:
            ids = s.execute(text("SELECT id::text FROM notifications")).scalars().all()
        with world.database.unit_of_work(None) as s:
            s.execute(text("SELECT set_config('app.all_provinces', 'on', true)"))
            for nid in s.execute(text("SELECT id::text FROM notifications")).scalars():
                queue.defer(s, FAN_OUT_TASK, {"notification_id": nid})
            for did in s.execute(text("SELECT id FROM notification_deliveries")).scalars():
                queue.defer(s, DELIVER_TASK, {"delivery_id": did})
        run_worker_until_idle(world.app_url)
        assert ids == []  # no tenant bound: row-level security shows nothing
        assert len(smtp.messages) == 1 and len(hook.hits) == 1 and _deliveries(world) == sent


def test_a_correction_awaiting_review_reaches_the_qc_center_only(world: World) -> None:
    with smtp_server() as smtp:
        _submit(world, world.a, reason="更正分母 / fixed the denominator")
        center = _inbox(world, world.admin())
        assert [i.kind for i in center.items] == ["correction_awaiting_review"]
        assert [i.kind for i in _inbox(world, world.submitter(world.a)).items] == ["submission_returned"]
        assert _inbox(world, world.admin(GD)).items == []
        run_worker_until_idle(world.app_url)
        assert smtp.recipients == [["qc@zj.example.cn"]]


def test_mark_read_lowers_the_unread_count_and_refuses_another_hospitals_item(world: World) -> None:
    import pytest

    from services.core.errors import NotFound

    a = world.submitter(world.a)
    item = _inbox(world, a).items[0]
    with pytest.raises(NotFound):
        with world.database.unit_of_work(world.submitter(world.b)) as s:
            inbox.mark_read(s, world.submitter(world.b), item.id)
    with world.database.unit_of_work(a) as s:
        inbox.mark_read(s, a, item.id)
        inbox.mark_read(s, a, item.id)  # again is fine
    assert _inbox(world, a).unread == 0
