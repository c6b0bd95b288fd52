"""Catalog aggregate: a year's goals and indicators, the specialties, and lineage between years.

Public documents: readable by every role (and without login), written only by the owner role
through ``qcp catalog publish``. A year has revisions (``CatalogRevision``): a revision updates the
year's goals and indicators in place by code, so their ids (which stored submission values point
at) never change; the year's row holds the current revision, the revisions table every file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.base import Base

RELATION_KINDS = (
    "continued",
    "renumbered",
    "redefined",
    "moved_to_specialty",
    "moved_to_national",
    "split",
    "merged",
    "retired",
    "new",
    "reinstated",
)
Strings = list[str]  # (Goal.list shadows the builtin inside the class body)
COMPARABILITY = ("comparable", "partial", "not_comparable")
VERIFICATION = ("verified", "inferred", "unverified")
SPECIALTY_LISTS = ("loaded", "pending")


class CatalogYear(Base):
    """A published year, as of its current revision (``file_sha256`` is that revision's file)."""

    __tablename__ = "catalog_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_by: Mapped[str] = mapped_column(String(128))
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    format: Mapped[str] = mapped_column(String(16), server_default="qcp-catalog/1")
    specialty_list: Mapped[str] = mapped_column(String(8), server_default="loaded")
    sources: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")  # id → citable document
    revised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revised_by: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        CheckConstraint("specialty_list IN ('loaded', 'pending')", name="known_specialty_list"),
        CheckConstraint("revision >= 1", name="positive_revision"),
    )


class CatalogRevision(Base):
    """Every published file of a year: revision 1 and each correction, with its reason and its diff
    against the revision before (``diff`` NULL for revision 1)."""

    __tablename__ = "catalog_revisions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("catalog_years.year"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_text: Mapped[str | None] = mapped_column(Text)  # NULL only for files published before 0006
    reason: Mapped[str] = mapped_column(Text, server_default="")
    reason_en: Mapped[str] = mapped_column(Text, server_default="")
    diff: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_by: Mapped[str] = mapped_column(String(128))

    __table_args__ = (UniqueConstraint("year", "revision", name="uq_catalog_revisions_year_revision"),)


class Specialty(Base):
    """A specialty QC line (专业质控中心), e.g. ``icu`` 重症医学专业."""

    __tablename__ = "specialties"

    code: Mapped[str] = mapped_column(String(48), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(128))


class Goal(Base):
    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("catalog_years.year"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # NIT-2023-VIII, PIT-2023-37
    code_as_published: Mapped[str] = mapped_column(String(32))  # NIT-2022-Ⅷ as printed
    list: Mapped[str] = mapped_column(String(16))  # national | specialty
    number: Mapped[int] = mapped_column(Integer)  # 目标八 → 8; PIT-2023-37 → 37
    title: Mapped[str] = mapped_column(Text)  # verbatim from the published document
    title_en: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)  # 目标简述, verbatim
    direction: Mapped[str] = mapped_column(String(8))  # higher | lower
    code_inferred: Mapped[bool] = mapped_column(Boolean, server_default="false")
    verification: Mapped[str | None] = mapped_column(String(16))  # NULL: a /1 file said nothing
    sources: Mapped[Strings] = mapped_column(ARRAY(String(64)), server_default="{}")
    core_strategies: Mapped[Strings] = mapped_column(ARRAY(Text), server_default="{}")

    __table_args__ = (
        CheckConstraint("list IN ('national', 'specialty')", name="known_list"),
        CheckConstraint("direction IN ('higher', 'lower')", name="known_direction"),
        CheckConstraint(
            "verification IS NULL OR verification IN ('verified', 'inferred', 'unverified')",
            name="known_verification",
        ),
        UniqueConstraint("year", "list", "number", name="uq_goals_year_list_number"),
    )


class GoalOwner(Base):
    """Which specialty QC centers own a goal (2023 附件2; six rows point at national goals)."""

    __tablename__ = "goal_owners"

    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True)
    specialty_code: Mapped[str] = mapped_column(ForeignKey("specialties.code"), primary_key=True)


class Indicator(Base):
    """A quantity hospitals actually report: numerator and denominator per quarter."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # NIT-2023-VIII.2
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # proportion | rate | ratio
    numerator: Mapped[str] = mapped_column(Text)
    denominator: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(32))
    multiplier: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, server_default="")
    verification: Mapped[str | None] = mapped_column(String(16))
    sources: Mapped[Strings] = mapped_column(ARRAY(String(64)), server_default="{}")
    source_note: Mapped[str] = mapped_column(Text, server_default="")
    # withdrawn by a revision: stored values stay readable, new values are refused
    withdrawn_revision: Mapped[int | None] = mapped_column(Integer)
    withdrawn_reason: Mapped[str] = mapped_column(Text, server_default="")
    withdrawn_reason_en: Mapped[str] = mapped_column(Text, server_default="")
    replaced_by: Mapped[Strings] = mapped_column(ARRAY(String(40)), server_default="{}")

    __table_args__ = (
        CheckConstraint(
            "verification IS NULL OR verification IN ('verified', 'inferred', 'unverified')",
            name="known_verification",
        ),
        CheckConstraint("kind IN ('proportion', 'rate', 'ratio')", name="known_kind"),
        CheckConstraint("direction IN ('higher', 'lower')", name="known_direction"),
        CheckConstraint("multiplier > 0", name="positive_multiplier"),
        UniqueConstraint("goal_id", "seq", name="uq_indicators_goal_seq"),
    )


class _LineageColumns:
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    to_year: Mapped[int] = mapped_column(Integer, index=True)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(String(24)))
    comparability: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    verification: Mapped[str | None] = mapped_column(String(16))
    sources: Mapped[Strings] = mapped_column(ARRAY(String(64)), server_default="{}")
    # ``to`` NULL with kinds [moved_to_specialty]: moved, receiving specialty goal not known (yet);
    # ``destination`` holds its code as text when the document names one that is not loaded
    destination: Mapped[str | None] = mapped_column(String(40))


class GoalLineage(_LineageColumns, Base):
    """An edge from an earlier goal to a later one (``from`` NULL = new; ``to`` NULL = retired, or
    moved to a specialty list whose goal is not known yet)."""

    __tablename__ = "goal_lineage"

    from_goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    to_goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)

    __table_args__ = (
        CheckConstraint("from_goal_id IS NOT NULL OR to_goal_id IS NOT NULL", name="has_an_end"),
        CheckConstraint(
            "comparability IS NULL OR comparability IN ('comparable', 'partial', 'not_comparable')",
            name="known_comparability",
        ),
    )


class IndicatorLineage(_LineageColumns, Base):
    __tablename__ = "indicator_lineage"

    from_indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicators.id", ondelete="CASCADE"), index=True
    )
    to_indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicators.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (
        CheckConstraint("from_indicator_id IS NOT NULL OR to_indicator_id IS NOT NULL", name="has_an_end"),
        CheckConstraint(
            "comparability IS NULL OR comparability IN ('comparable', 'partial', 'not_comparable')",
            name="known_comparability",
        ),
    )
