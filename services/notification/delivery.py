"""Fan-out (a notification → one delivery per e-mail recipient and webhook endpoint) and delivery.

Both run in the worker as the platform (national scope). Each delivery row is keyed by
``notification × channel × recipient``: fanning out twice adds nothing, and a delivery already
sent is never sent again. The row is locked while it is being sent (a second job for it skips).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.core.config import NotificationSettings
from services.jobs import queue
from services.models import (
    Notification,
    NotificationContact,
    NotificationDelivery,
    NotificationPreference,
    WebhookEndpoint,
)
from services.notification import channels
from services.notification.preferences import Preferences
from services.submission.windows import now

DELIVER_TASK = "notification.deliver"

Org = NotificationContact | WebhookEndpoint


def _addressed(
    model: type[NotificationContact] | type[WebhookEndpoint], n: Notification
) -> ColumnElement[bool]:
    if n.audience == "hospital":
        return model.hospital_id == n.hospital_id
    if n.audience == "qc_center":
        return and_(model.hospital_id.is_(None), model.province_code.is_not_distinct_from(n.province_code))
    return true()


def _delivery(session: Session, n: Notification, target: Org, channel: str, recipient: str) -> int | None:
    stmt = (
        insert(NotificationDelivery)
        .values(
            notification_id=n.id,
            province_code=target.province_code,
            hospital_id=target.hospital_id,
            channel=channel,
            recipient=recipient,
            dedup_key=f"{n.id}:{channel}:{recipient}",
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(NotificationDelivery.id)
    )
    return session.scalar(stmt)


def fan_out(session: Session, notification_id: uuid.UUID) -> list[int]:
    """Create the deliveries of one notification and queue their jobs; the new delivery ids."""
    n = session.scalar(select(Notification).where(Notification.id == notification_id).with_for_update())
    if n is None or n.fanned_out_at is not None:
        return []
    contacts = session.scalars(select(NotificationContact).where(_addressed(NotificationContact, n))).all()
    hooks = session.scalars(
        select(WebhookEndpoint).where(_addressed(WebhookEndpoint, n), WebhookEndpoint.active)
    ).all()
    prefs = Preferences(session.scalars(select(NotificationPreference)).all())
    made: list[int | None] = []
    for contact in contacts:
        if prefs.enabled(contact.province_code, contact.hospital_id, contact.subject, n.kind, "email"):
            made.append(_delivery(session, n, contact, "email", contact.email.lower()))
    for hook in hooks:
        if prefs.enabled(hook.province_code, hook.hospital_id, None, n.kind, "webhook"):
            made.append(_delivery(session, n, hook, "webhook", f"webhook:{hook.id}"))
    n.fanned_out_at = now()
    new = [d for d in made if d is not None]
    for delivery_id in new:
        queue.defer(
            session, DELIVER_TASK, {"delivery_id": delivery_id}, queueing_lock=f"delivery:{delivery_id}"
        )
    return new


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | failed | dead | skipped
    error: str = ""


def deliver(session: Session, delivery_id: int, *, final: bool, settings: NotificationSettings) -> Outcome:
    """Send one delivery unless it is sent, dead, or being sent by another job (row lock)."""
    d = session.scalar(
        select(NotificationDelivery)
        .where(NotificationDelivery.id == delivery_id)
        .with_for_update(skip_locked=True)
    )
    if d is None or d.status != "pending":
        return Outcome("skipped")
    n = session.get_one(Notification, d.notification_id)
    d.attempts += 1
    d.last_attempt_at = now()
    try:
        if d.channel == "email":
            channels.send_email(channels.email_message(n, d.recipient, settings), settings)
        else:
            hook = session.get_one(WebhookEndpoint, int(d.recipient.removeprefix("webhook:")))
            if not hook.active:
                raise channels.DeliveryFailed(f"webhook endpoint {hook.id} is switched off")
            d.last_status_code = channels.post_webhook(
                hook.url, hook.secret, channels.payload_of(n, d.id), delivery_id=d.id, settings=settings
            )
    except channels.DeliveryFailed as exc:
        d.last_error = str(exc)[:2000]
        d.last_status_code = exc.status_code
        d.status = "dead" if final else "pending"
        return Outcome(d.status if final else "failed", d.last_error)
    d.status, d.sent_at, d.last_error = "sent", now(), ""
    return Outcome("sent")


def pending_work(session: Session) -> tuple[list[uuid.UUID], list[int]]:
    """Notifications not fanned out and deliveries still pending (the sweep re-queues both)."""
    waiting = list(session.scalars(select(Notification.id).where(Notification.fanned_out_at.is_(None))))
    pending = list(
        session.scalars(select(NotificationDelivery.id).where(NotificationDelivery.status == "pending"))
    )
    return waiting, pending
