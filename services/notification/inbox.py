"""The in-app inbox: what one user's organisation was told, and what that user has read.

Hospital users see their hospital's notifications; QC-center staff see their province's QC-center
notifications (national staff: the national ones); everyone sees notifications addressed to all.
Row-level security enforces the hospital and province boundaries as well.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.errors import NotFound
from services.models import Notification, NotificationPreference, NotificationRead


class InboxItem(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    title_en: str
    body: str
    body_en: str
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    unread: int
    items: list[InboxItem]


def addressed_to(actor: Actor) -> ColumnElement[bool]:
    """The notifications meant for ``actor``'s organisation."""
    if actor.hospital_id is not None:
        mine = and_(Notification.audience == "hospital", Notification.hospital_id == actor.hospital_id)
    else:
        mine = and_(
            Notification.audience == "qc_center",
            Notification.province_code.is_not_distinct_from(actor.province),
        )
    return or_(mine, Notification.audience == "all")


def _muted_kinds(session: Session, actor: Actor) -> set[str]:
    rows = session.execute(
        select(
            NotificationPreference.subject, NotificationPreference.kind, NotificationPreference.enabled
        ).where(
            NotificationPreference.channel == "inbox",
            NotificationPreference.province_code.is_not_distinct_from(actor.province),
            NotificationPreference.hospital_id.is_not_distinct_from(actor.hospital_id),
            or_(NotificationPreference.subject.is_(None), NotificationPreference.subject == actor.subject),
        )
    ).all()
    org = {kind: on for subject, kind, on in rows if subject is None}
    own = {kind: on for subject, kind, on in rows if subject is not None}
    merged = {**org, **own}
    return {kind for kind, on in merged.items() if not on}


def _stmt(session: Session, actor: Actor) -> Select[Notification, datetime]:
    read_at = (
        select(NotificationRead.read_at)
        .where(NotificationRead.notification_id == Notification.id, NotificationRead.reader == actor.subject)
        .scalar_subquery()
    )
    stmt = select(Notification, read_at.label("read_at")).where(addressed_to(actor))
    muted = _muted_kinds(session, actor)
    if muted:
        stmt = stmt.where(Notification.kind.not_in(muted))
    return stmt


def unread_count(session: Session, actor: Actor) -> int:
    sub = _stmt(session, actor).subquery()
    return session.scalar(select(func.count()).select_from(sub).where(sub.c.read_at.is_(None))) or 0


def inbox(session: Session, actor: Actor, *, unread_only: bool = False, limit: int = 50) -> Inbox:
    stmt = _stmt(session, actor).order_by(Notification.created_at.desc(), Notification.id).limit(limit)
    items = [
        InboxItem(
            id=n.id,
            kind=n.kind,
            title=n.title,
            title_en=n.title_en,
            body=n.body,
            body_en=n.body_en,
            payload=n.payload,
            created_at=n.created_at,
            read_at=read_at,
        )
        for n, read_at in session.execute(stmt).all()
        if not (unread_only and read_at is not None)
    ]
    return Inbox(unread=unread_count(session, actor), items=items)


def mark_read(session: Session, actor: Actor, notification_id: uuid.UUID) -> None:
    """Mark one of the caller's notifications read (again is fine); another's is not found."""
    found = session.scalar(
        select(Notification.id).where(Notification.id == notification_id, addressed_to(actor))
    )
    if found is None:
        raise NotFound(
            f"没有这条通知 / notification {notification_id} not found: it does not exist or is not addressed to you"
        )
    session.execute(
        insert(NotificationRead)
        .values(
            notification_id=notification_id,
            reader=actor.subject,
            province_code=actor.province,
            hospital_id=actor.hospital_id,
        )
        .on_conflict_do_nothing()
    )
