"""Submission aggregate: a hospital's quarterly report of indicator values, with full history.

Every table carries ``province_code`` and (except windows) ``hospital_id``: row-level security
isolates provinces and, for hospital roles, hospitals. Foreign keys ignore RLS, so child rows point
at their header through (id, hospital_id, province_code) and the header at its hospital through
(id, province_code): no row can claim another tenant's parent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.base import Base

STATUSES = ("draft", "submitted", "returned", "approved")
SOURCES = ("api", "csv", "xlsx", "fhir", "page")
EVENT_ACTIONS = ("submit", "correct", "approve", "return", "reopen")
QUARTER_CHECK = "quarter ~ '^[0-9]{4}Q[1-4]$'"


def _header_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["submission_id", "hospital_id", "province_code"],
        ["submissions.id", "submissions.hospital_id", "submissions.province_code"],
        name=f"fk_{table}_submission",
    )


def _hospital_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["hospital_id", "province_code"],
        ["hospitals.id", "hospitals.province_code"],
        name=f"fk_{table}_hospital",
    )


class SubmissionWindow(Base):
    """When a province's hospitals may report a quarter: opens, due (later = late), locks."""

    __tablename__ = "submission_windows"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    quarter: Mapped[str] = mapped_column(CHAR(6))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locks_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    set_by: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(QUARTER_CHECK, name="quarter_format"),
        CheckConstraint("opens_at <= due_at AND due_at <= locks_at", name="dates_ordered"),
        UniqueConstraint("province_code", "quarter", name="uq_submission_windows_province_quarter"),
    )


class Submission(Base):
    """Header: one hospital × one quarter. ``version`` grows on every change (optimistic concurrency)."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    hospital_id: Mapped[int] = mapped_column(BigInteger)
    quarter: Mapped[str] = mapped_column(CHAR(6), index=True)
    catalog_year: Mapped[int] = mapped_column(ForeignKey("catalog_years.year"))
    status: Mapped[str] = mapped_column(String(16), server_default="draft")
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    late: Mapped[bool] = mapped_column(Boolean, server_default="false")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(256))
    review_comment: Mapped[str] = mapped_column(Text, server_default="")
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_by: Mapped[str | None] = mapped_column(String(256))
    reopen_reason: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(QUARTER_CHECK, name="quarter_format"),
        CheckConstraint("status IN ('draft', 'submitted', 'returned', 'approved')", name="known_status"),
        CheckConstraint("version >= 0", name="version_non_negative"),
        UniqueConstraint("hospital_id", "quarter", name="uq_submissions_hospital_quarter"),
        UniqueConstraint("id", "hospital_id", "province_code", name="uq_submissions_id_tenant"),
        _hospital_fk("submissions"),
    )


class SubmissionValue(Base):
    """The current value of one indicator in one submission (its history is in the versions table)."""

    __tablename__ = "submission_values"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    submission_id: Mapped[int] = mapped_column(BigInteger)  # leads the unique key: indexed there
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    hospital_id: Mapped[int] = mapped_column(BigInteger)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)  # 0 = no cases (无病例): valid, excluded from rates
    comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(String(256))

    __table_args__ = (
        CheckConstraint("numerator >= 0 AND denominator >= 0", name="counts_non_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("submission_id", "indicator_id", name="uq_submission_values_submission_indicator"),
        _header_fk("submission_values"),
    )


class SubmissionValueVersion(Base):
    """Append-only: every accepted value, who sent it, when, from where and why."""

    __tablename__ = "submission_value_versions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    submission_id: Mapped[int] = mapped_column(BigInteger)  # leads the unique key: indexed there
    province_code: Mapped[str] = mapped_column(
        String(6)
    )  # indexed with id: ix_submission_value_versions_province_id
    hospital_id: Mapped[int] = mapped_column(BigInteger)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    version: Mapped[int] = mapped_column(Integer)
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, server_default="")
    source: Mapped[str] = mapped_column(String(8))
    actor_subject: Mapped[str] = mapped_column(String(256))
    actor_roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    client_id: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("numerator >= 0 AND denominator >= 0", name="counts_non_negative"),
        CheckConstraint("source IN ('api', 'csv', 'xlsx', 'fhir', 'page')", name="known_source"),
        UniqueConstraint(
            "submission_id", "indicator_id", "version", name="uq_submission_value_versions_version"
        ),
        _header_fk("submission_value_versions"),
        # a province's newest accepted value in one index step: part of the benchmark cache's data
        # version (services/benchmark/cache.py); also serves every lookup by province (0012)
        Index("ix_submission_value_versions_province_id", "province_code", "id"),
    )


class SubmissionEvent(Base):
    """Append-only: every status transition (submit, correct, approve, return, reopen)."""

    __tablename__ = "submission_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    submission_id: Mapped[int] = mapped_column(BigInteger, index=True)
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    hospital_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    submission_version: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, server_default="")
    actor_subject: Mapped[str] = mapped_column(String(256))
    actor_roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    client_id: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            "action IN ('submit', 'correct', 'approve', 'return', 'reopen')", name="known_action"
        ),
        _header_fk("submission_events"),
    )


class IdempotencyKey(Base):
    """A caller's Idempotency-Key: the request's hash and the response first given for it."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    hospital_id: Mapped[int] = mapped_column(BigInteger)
    actor_subject: Mapped[str] = mapped_column(String(256))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("province_code", "actor_subject", "key", name="uq_idempotency_keys_caller_key"),
        _hospital_fk("idempotency_keys"),
    )


class IndicatorApplicability(Base):
    """Per hospital × goal (indicator_id NULL) or indicator: required, or not applicable with a reason."""

    __tablename__ = "indicator_applicability"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    hospital_id: Mapped[int] = mapped_column(BigInteger)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    set_by: Mapped[str] = mapped_column(String(256))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("status IN ('required', 'not_applicable')", name="known_status"),
        CheckConstraint("status = 'required' OR reason <> ''", name="not_applicable_has_reason"),
        UniqueConstraint(
            "hospital_id",
            "goal_id",
            "indicator_id",
            name="uq_indicator_applicability_target",
            postgresql_nulls_not_distinct=True,
        ),
        _hospital_fk("indicator_applicability"),
    )
