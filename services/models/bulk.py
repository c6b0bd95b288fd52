"""Bulk uploads: one file of a provincial QC admin for many hospitals of the province and one quarter.

A row per upload job: who sent it, its options, where it is (status, phase, progress), what it
found (problems, capped) and what it stored (result). The values themselves go to the submission
tables like any other submission; this table only tracks the job.
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
    Identity,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.base import Base

JOB_STATUSES = ("queued", "running", "succeeded", "refused", "failed")


class BulkUpload(Base):
    __tablename__ = "bulk_uploads"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    quarter: Mapped[str | None] = mapped_column(CHAR(6))
    actor_subject: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(8))  # csv | xlsx | jsonl
    dry_run: Mapped[bool] = mapped_column(Boolean)
    keep_passing: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    phase: Mapped[str] = mapped_column(String(16), server_default="queued")
    bytes_total: Mapped[int] = mapped_column(BigInteger, server_default="0")
    bytes_read: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rows_read: Mapped[int] = mapped_column(Integer, server_default="0")
    problem_count: Mapped[int] = mapped_column(Integer, server_default="0")
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'refused', 'failed')", name="known_status"
        ),
        CheckConstraint("kind IN ('csv', 'xlsx', 'jsonl')", name="known_kind"),
        CheckConstraint("quarter ~ '^[0-9]{4}Q[1-4]$'", name="quarter_format"),
    )
