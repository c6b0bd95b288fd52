"""Notification aggregate: what happened (notifications), who read it, where to send it (contacts,
webhook endpoints, preferences) and what was sent (deliveries: the delivery log and dead letters).

A notification is addressed to an organisation: one hospital (``audience = 'hospital'``), the QC
center of a province (``'qc_center'``; province NULL = the national level) or everyone (``'all'``).
Each row carries a ``dedup_key`` naming the event, so an event noticed twice is stored once; each
delivery carries ``notification × channel × recipient`` as its key, so a job run twice sends once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.base import Base

NOTIFICATION_KINDS = (
    "window_opened",
    "due_soon",
    "submission_returned",
    "correction_awaiting_review",
    "flags_frozen",
    "catalog_published",
)
CHANNELS = ("inbox", "email", "webhook")
AUDIENCES = ("hospital", "qc_center", "all")
DELIVERY_STATUSES = ("pending", "sent", "dead")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _hospital_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["hospital_id", "province_code"],
        ["hospitals.id", "hospitals.province_code"],
        name=f"fk_{table}_hospital",
    )


class Notification(Base):
    """One event for one organisation, in Chinese and English."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    audience: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("audience", AUDIENCES), name="known_audience"),
        CheckConstraint(_in("kind", NOTIFICATION_KINDS), name="known_kind"),
        CheckConstraint("(audience = 'hospital') = (hospital_id IS NOT NULL)", name="hospital_audience"),
        _hospital_fk("notifications"),
    )


class NotificationRead(Base):
    """That one user (``reader`` = token subject) has read one notification."""

    __tablename__ = "notification_reads"

    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id"), primary_key=True)
    reader: Mapped[str] = mapped_column(String(256), primary_key=True)
    province_code: Mapped[str | None] = mapped_column(String(6), index=True)  # the reader's
    hospital_id: Mapped[int | None] = mapped_column(BigInteger)  # the reader's
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationContact(Base):
    """An e-mail address of an organisation (``subject`` NULL: its shared mailbox) or of one user."""

    __tablename__ = "notification_contacts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    subject: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(256))

    __table_args__ = (_hospital_fk("notification_contacts"),)


class NotificationPreference(Base):
    """A channel switched on or off for one kind, for one user (``subject``) or a whole organisation."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(BigInteger)
    subject: Mapped[str | None] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(_in("kind", NOTIFICATION_KINDS), name="known_kind"),
        CheckConstraint(_in("channel", CHANNELS), name="known_channel"),
        _hospital_fk("notification_preferences"),
    )


class WebhookEndpoint(Base):
    """A hospital's or provincial system's URL; payloads are signed with its secret (HMAC-SHA256)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(256))

    __table_args__ = (
        CheckConstraint("url ~ '^https?://'", name="http_url"),
        _hospital_fk("webhook_endpoints"),
    )


class NotificationDelivery(Base):
    """One notification × channel × recipient: the delivery log; ``dead`` rows are the dead letters."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id"), index=True)
    province_code: Mapped[str | None] = mapped_column(String(6), index=True)
    hospital_id: Mapped[int | None] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(2000))  # e-mail address, or webhook:<endpoint id>
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, server_default="")
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="known_channel"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="known_status"),
    )
