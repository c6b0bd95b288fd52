"""Where an organisation's notifications go: e-mail contacts, webhook endpoints, preferences; and the
delivery log / dead letters for admins.

Organisation-wide settings (the shared mailbox, webhooks, organisation preferences) are changed by
the organisation's admins: a hospital's submitter or system client for its hospital, the provincial
admin for the provincial QC center, the national admin nationally. A user's own e-mail and
preferences are the user's.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from services.core.config import notification_settings
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.core.schemas import StrictModel
from services.jobs import queue
from services.models import (
    NotificationContact,
    NotificationDelivery,
    NotificationPreference,
    WebhookEndpoint,
)
from services.models.notification import CHANNELS, NOTIFICATION_KINDS
from services.notification.channels import private_target
from services.notification.delivery import DELIVER_TASK

ORG_ADMINS = frozenset(
    {Role.NATIONAL_ADMIN, Role.PROVINCIAL_ADMIN, Role.HOSPITAL_SUBMITTER, Role.HOSPITAL_SYSTEM}
)

Kind = Literal[
    "window_opened",
    "due_soon",
    "submission_returned",
    "correction_awaiting_review",
    "flags_frozen",
    "catalog_published",
]
assert set(Kind.__args__) == set(NOTIFICATION_KINDS)  # type: ignore[attr-defined]
Channel = Literal["inbox", "email", "webhook"]
assert set(Channel.__args__) == set(CHANNELS)  # type: ignore[attr-defined]


class PreferenceIn(StrictModel):
    kind: Kind
    channel: Channel
    enabled: bool
    organisation: bool = Field(default=False, description="true: for the whole organisation (admins)")


class ContactIn(StrictModel):
    email: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320, examples=["qc@hospital.example.cn"]
    )
    organisation: bool = Field(default=False, description="true: the organisation's shared mailbox (admins)")


class WebhookIn(StrictModel):
    url: str = Field(pattern=r"^https?://\S+$", max_length=2000, examples=["https://his.example.cn/qcp-hook"])


class WebhookCreated(BaseModel):
    id: int
    url: str
    secret: str  # shown once: the receiver verifies signatures with it


class DeliveryRead(BaseModel):
    id: int
    notification_id: str
    channel: str
    recipient: str
    status: str
    attempts: int
    last_error: str
    last_status_code: int | None
    created_at: datetime
    last_attempt_at: datetime | None
    sent_at: datetime | None


def require_org_admin(actor: Actor) -> None:
    if not actor.has(*ORG_ADMINS):
        raise PermissionDenied(
            "只有本机构管理员可更改机构的通知设置 / only your organisation's admins may change its "
            "notification settings (provincial admin, national admin, or the hospital's submitter)"
        )


def set_preference(session: Session, actor: Actor, *, preference: PreferenceIn) -> None:
    if preference.organisation:
        require_org_admin(actor)
    subject = None if preference.organisation else actor.subject
    session.execute(
        delete(NotificationPreference).where(
            NotificationPreference.province_code.is_not_distinct_from(actor.province),
            NotificationPreference.hospital_id.is_not_distinct_from(actor.hospital_id),
            NotificationPreference.subject.is_not_distinct_from(subject),
            NotificationPreference.kind == preference.kind,
            NotificationPreference.channel == preference.channel,
        )
    )
    session.add(
        NotificationPreference(
            province_code=actor.province,
            hospital_id=actor.hospital_id,
            subject=subject,
            kind=preference.kind,
            channel=preference.channel,
            enabled=preference.enabled,
        )
    )
    session.flush()


def add_contact(session: Session, actor: Actor, *, contact: ContactIn) -> int:
    if contact.organisation:
        require_org_admin(actor)
    row = NotificationContact(
        province_code=actor.province,
        hospital_id=actor.hospital_id,
        subject=None if contact.organisation else actor.subject,
        email=contact.email.strip(),
        created_by=actor.subject,
    )
    session.add(row)
    session.flush()
    return row.id


def add_webhook(session: Session, actor: Actor, *, webhook: WebhookIn) -> WebhookCreated:
    require_org_admin(actor)
    problem = None if notification_settings().webhook_allow_private else private_target(webhook.url)
    if problem:
        raise ValidationFailed(
            f"Webhook 地址不能指向内部网络 / the webhook URL must be reachable on the internet: {problem}",
            problems=[
                {
                    "field": "url",
                    "code": "internal_address",
                    "problem": problem,
                    "fix": "用医院系统的公网 https 地址 / use your system's public https URL",
                }
            ],
        )
    row = WebhookEndpoint(
        province_code=actor.province,
        hospital_id=actor.hospital_id,
        url=webhook.url,
        secret=secrets.token_hex(32),
        created_by=actor.subject,
    )
    session.add(row)
    session.flush()
    return WebhookCreated(id=row.id, url=row.url, secret=row.secret)


def deliveries(
    session: Session,
    actor: Actor,
    *,
    status: Literal["pending", "sent", "dead"] | None = None,
    limit: int = 100,
) -> list[DeliveryRead]:
    """The delivery log of the caller's scope (row-level security); ``status='dead'``: dead letters."""
    require_org_admin(actor)
    stmt = select(NotificationDelivery).order_by(NotificationDelivery.id.desc()).limit(limit)
    if actor.hospital_id is not None:
        stmt = stmt.where(NotificationDelivery.hospital_id == actor.hospital_id)
    elif actor.province is not None:
        stmt = stmt.where(NotificationDelivery.province_code == actor.province)
    if status:
        stmt = stmt.where(NotificationDelivery.status == status)
    return [
        DeliveryRead(
            **{
                **{c: getattr(d, c) for c in DeliveryRead.model_fields},
                "notification_id": str(d.notification_id),
            }
        )
        for d in session.scalars(stmt)
    ]


def retry_delivery(session: Session, actor: Actor, *, delivery_id: int) -> None:
    """A dead letter back to pending, with a fresh job (its attempts start again)."""
    require_org_admin(actor)
    d = session.scalar(
        select(NotificationDelivery).where(NotificationDelivery.id == delivery_id).with_for_update()
    )
    if d is None or (actor.hospital_id is not None and d.hospital_id != actor.hospital_id):
        raise NotFound(f"没有这条投递记录 / delivery {delivery_id} not found")
    if d.status == "sent":
        return
    d.status = "pending"
    queue.defer(session, DELIVER_TASK, {"delivery_id": d.id}, queueing_lock=f"delivery:{d.id}")
    session.flush()
