"""Benchmark aggregate: frozen laggard-flag snapshots and QC-center benchmark settings.

A snapshot freezes the laggard flags of one scope × quarter when the submission window locks (or
when a provincial admin freezes it). It records which data it used (the highest value-version id
and a hash of every value read), so later corrections can never rewrite what was reported.
Snapshots and their entries are append-only.

Settings belong to a QC center: the minimum denominator below which a hospital is shown but not
flagged (one for all units and/or one per indicator unit), the flag rule (funnel limits or false
discovery rate), the over-dispersion choice, optional targets per indicator that replace the pooled
rate as the funnel centre, and O/E baselines (indirect standardisation by peer profile).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.base import Base

FLAG_KINDS = ("alarm", "alert", "worst_decile", "persistent", "deteriorating", "early_warning", "missing")
FREEZE_TRIGGERS = ("manual", "window_lock")


class FlagSnapshot(Base):
    """The laggard flags of one scope × quarter as reported; never updated."""

    __tablename__ = "flag_snapshots"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    scope: Mapped[str] = mapped_column(String(96))  # province:330000 | peer:三级综合@330000 | network:12
    quarter: Mapped[str] = mapped_column(CHAR(6))
    include_submitted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    data_version: Mapped[int] = mapped_column(BigInteger)  # max submission_value_versions.id read (0 = none)
    data_hash: Mapped[str] = mapped_column(String(64))  # sha256 of every (hospital, indicator, x, n, version)
    values_used: Mapped[int] = mapped_column(Integer)
    min_denominator: Mapped[int] = mapped_column(Integer)
    # the rules that raised the flags: flag rule, limits, over-dispersion, minimum denominators
    rules: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    trigger: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(256))
    catalog_revision: Mapped[int] = mapped_column(Integer, server_default="1")  # of the quarter's year

    __table_args__ = (
        CheckConstraint("quarter ~ '^[0-9]{4}Q[1-4]$'", name="quarter_format"),
        CheckConstraint("trigger IN ('manual', 'window_lock')", name="known_trigger"),
        UniqueConstraint("province_code", "scope", "quarter", name="uq_flag_snapshots_scope_quarter"),
        UniqueConstraint("id", "province_code", name="uq_flag_snapshots_id_province"),
    )


class FlagSnapshotEntry(Base):
    """One flag of one hospital (× indicator; NULL for ``missing``) with its reason in words."""

    __tablename__ = "flag_snapshot_entries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(BigInteger, index=True)
    province_code: Mapped[str] = mapped_column(String(6), index=True)
    hospital_id: Mapped[int] = mapped_column(BigInteger, index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"))
    kind: Mapped[str] = mapped_column(String(16))
    numerator: Mapped[int | None] = mapped_column(Integer)
    denominator: Mapped[int | None] = mapped_column(Integer)
    z: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")

    __table_args__ = (
        CheckConstraint(
            "kind IN ('alarm', 'alert', 'worst_decile', 'persistent', 'deteriorating', 'missing', "
            "'early_warning')",
            name="known_kind",
        ),
        ForeignKeyConstraint(
            ["snapshot_id", "province_code"],
            ["flag_snapshots.id", "flag_snapshots.province_code"],
            name="fk_flag_snapshot_entries_snapshot",
        ),
        ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_flag_snapshot_entries_hospital",
        ),
    )


class BenchmarkSetting(Base):
    """A QC center's benchmark settings (``province_code`` NULL = the national center's)."""

    __tablename__ = "benchmark_settings"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    qc_center_id: Mapped[int] = mapped_column(ForeignKey("qc_centers.id"), unique=True)
    province_code: Mapped[str | None] = mapped_column(String(6), index=True)
    min_denominator: Mapped[int | None] = mapped_column(Integer)  # NULL: the platform default per unit
    min_denominator_by_unit: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default="{}"
    )  # unit → minimum
    flag_rule: Mapped[str | None] = mapped_column(String(8))  # limits | fdr; NULL: platform default
    overdispersion: Mapped[str | None] = mapped_column(String(8))  # auto | off; NULL: auto
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(String(256))

    __table_args__ = (
        CheckConstraint("min_denominator >= 1", name="min_denominator_positive"),
        CheckConstraint("flag_rule IS NULL OR flag_rule IN ('limits', 'fdr')", name="known_flag_rule"),
        CheckConstraint(
            "overdispersion IS NULL OR overdispersion IN ('auto', 'off')", name="known_overdispersion"
        ),
    )


class BenchmarkTarget(Base):
    """A target a QC center sets for one indicator: the funnel centre instead of the pooled rate."""

    __tablename__ = "benchmark_targets"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    qc_center_id: Mapped[int] = mapped_column(ForeignKey("qc_centers.id"))
    province_code: Mapped[str | None] = mapped_column(String(6), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    target: Mapped[Decimal] = mapped_column(Numeric(9, 6))  # a proportion in [0, 1], exact decimal
    note: Mapped[str] = mapped_column(Text, server_default="")
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    set_by: Mapped[str] = mapped_column(String(256))

    __table_args__ = (
        CheckConstraint("target >= 0 AND target <= 1", name="target_is_proportion"),
        UniqueConstraint("qc_center_id", "indicator_id", name="uq_benchmark_targets_center_indicator"),
    )


class BenchmarkBaseline(Base):
    """A QC center's O/E baseline for one indicator: the rates of an earlier year (national or the
    province's) by peer profile, stored as ``{profile: [numerator, denominator]}`` when it was set."""

    __tablename__ = "benchmark_baselines"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    qc_center_id: Mapped[int] = mapped_column(ForeignKey("qc_centers.id"))
    province_code: Mapped[str | None] = mapped_column(String(6), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    baseline_indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))  # the earlier year's
    baseline_year: Mapped[int] = mapped_column(Integer)
    baseline_scope: Mapped[str] = mapped_column(String(8))  # national | province
    profile: Mapped[str] = mapped_column(String(16))  # level_type | level_type_beds
    rates: Mapped[dict[str, Any]] = mapped_column(JSONB)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    set_by: Mapped[str] = mapped_column(String(256))

    __table_args__ = (
        CheckConstraint("baseline_scope IN ('national', 'province')", name="known_scope"),
        CheckConstraint("profile IN ('level_type', 'level_type_beds')", name="known_profile"),
        UniqueConstraint("qc_center_id", "indicator_id", name="uq_benchmark_baselines_center_indicator"),
    )
