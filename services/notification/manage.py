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
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from services import audit
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
from services.notification.preferences import Preferences

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


class WebhookRead(BaseModel):
    """A registered endpoint as its organisation's admins see it: never its secret."""

    id: int
    url: str
    active: bool
    created_at: datetime
    created_by: str


class ContactRead(BaseModel):
    id: int
    email: str
    organisation: bool
    created_at: datetime


def _own_organisation(model: type[WebhookEndpoint] | type[NotificationContact], actor: Actor) -> Any:
    """Rows of the caller's own organisation: its hospital, else its QC center (province, no hospital),
    else the national level. Row-level security already hides other tenants; this also keeps a
    provincial admin from managing a hospital's own endpoints, which are the hospital's business."""
    if actor.hospital_id is not None:
        return model.hospital_id == actor.hospital_id
    return and_(model.hospital_id.is_(None), model.province_code.is_not_distinct_from(actor.province))


def _webhook_read(row: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(
        id=row.id, url=row.url, active=row.active, created_at=row.created_at, created_by=row.created_by
    )


def _webhook_audit(row: WebhookEndpoint) -> dict[str, Any]:
    return {"url": row.url, "active": row.active, "hospital_id": row.hospital_id}  # no secret


def webhooks(session: Session, actor: Actor) -> list[WebhookRead]:
    require_org_admin(actor)
    rows = session.scalars(
        select(WebhookEndpoint).where(_own_organisation(WebhookEndpoint, actor)).order_by(WebhookEndpoint.id)
    )
    return [_webhook_read(row) for row in rows]


def _own_webhook(session: Session, actor: Actor, webhook_id: int) -> WebhookEndpoint:
    require_org_admin(actor)
    row = session.scalar(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id == webhook_id, _own_organisation(WebhookEndpoint, actor))
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"没有这个 Webhook / webhook {webhook_id} not found")
    return row


def set_webhook_active(session: Session, actor: Actor, *, webhook_id: int, active: bool) -> WebhookRead:
    """Switch an endpoint off (nothing is posted to it; pending deliveries fail with the reason) or on."""
    row = _own_webhook(session, actor, webhook_id)
    before = _webhook_audit(row)
    row.active = active
    session.flush()
    audit.record(
        session,
        actor,
        action="webhook.enable" if active else "webhook.disable",
        entity="webhook_endpoint",
        entity_id=row.id,
        before=before,
        after=_webhook_audit(row),
        province_code=row.province_code,
    )
    return _webhook_read(row)


def rotate_webhook_secret(session: Session, actor: Actor, *, webhook_id: int) -> WebhookCreated:
    """A new signing secret, shown once; deliveries from now on are signed with it (the old one stops)."""
    row = _own_webhook(session, actor, webhook_id)
    row.secret = secrets.token_hex(32)
    session.flush()
    audit.record(
        session,
        actor,
        action="webhook.rotate_secret",
        entity="webhook_endpoint",
        entity_id=row.id,
        before=None,
        after=_webhook_audit(row),
        province_code=row.province_code,
    )
    return WebhookCreated(id=row.id, url=row.url, secret=row.secret)


def contacts(session: Session, actor: Actor) -> list[ContactRead]:
    """The caller's own addresses and, for its admins, the organisation's shared mailboxes."""
    mine = NotificationContact.subject == actor.subject
    visible = or_(mine, NotificationContact.subject.is_(None)) if actor.has(*ORG_ADMINS) else mine
    rows = session.scalars(
        select(NotificationContact)
        .where(_own_organisation(NotificationContact, actor), visible)
        .order_by(NotificationContact.id)
    )
    return [
        ContactRead(id=r.id, email=r.email, organisation=r.subject is None, created_at=r.created_at)
        for r in rows
    ]


def remove_contact(session: Session, actor: Actor, *, contact_id: int) -> None:
    row = session.scalar(
        select(NotificationContact).where(
            NotificationContact.id == contact_id, _own_organisation(NotificationContact, actor)
        )
    )
    if row is None or (row.subject is not None and row.subject != actor.subject):
        raise NotFound(f"没有这个通知邮箱 / contact {contact_id} not found")
    if row.subject is None:
        require_org_admin(actor)
    audit.record(
        session,
        actor,
        action="notification_contact.remove",
        entity="notification_contact",
        entity_id=row.id,
        before={"email": row.email, "organisation": row.subject is None, "hospital_id": row.hospital_id},
        after=None,
        province_code=row.province_code,
    )
    session.delete(row)
    session.flush()


def own_preferences(session: Session, actor: Actor) -> dict[tuple[str, str], bool]:
    """(kind, channel) → whether the caller receives it: its own choice, else its organisation's, else on."""
    rows = session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.province_code.is_not_distinct_from(actor.province),
            NotificationPreference.hospital_id.is_not_distinct_from(actor.hospital_id),
            or_(NotificationPreference.subject.is_(None), NotificationPreference.subject == actor.subject),
        )
    ).all()
    prefs = Preferences(rows)
    return {
        (kind, channel): prefs.enabled(actor.province, actor.hospital_id, actor.subject, kind, channel)
        for kind in NOTIFICATION_KINDS
        for channel in CHANNELS
    }
