"""benchmark rules: flag rule, over-dispersion and minimum denominators per unit; O/E baselines

* ``benchmark_settings`` gains the QC center's flag rule (``limits`` | ``fdr``; NULL = platform
  default), its over-dispersion choice (``auto`` | ``off``; NULL = auto) and minimum denominators
  per indicator unit (JSON ``{"每千导管日": 1000}``). ``min_denominator`` becomes optional: NULL
  means the platform default for each indicator's unit.
* ``benchmark_baselines``: a QC center turns on observed / expected (indirect standardisation) for
  an indicator with a baseline (an earlier year's national or provincial rates by peer profile).
  The baseline's rates are stored as numerator and denominator per profile when it is set, so the
  ratio never changes because older data are corrected later. Tenant-owned: row-level security as
  for the other benchmark settings (a province's row is its own; national rows readable by all).
* ``flag_snapshots.rules``: which rules and settings raised the frozen flags.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("benchmark_settings", "min_denominator", nullable=True, server_default=None)
    op.add_column(
        "benchmark_settings",
        sa.Column(
            "min_denominator_by_unit",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column("benchmark_settings", sa.Column("flag_rule", sa.String(length=8), nullable=True))
    op.add_column("benchmark_settings", sa.Column("overdispersion", sa.String(length=8), nullable=True))
    op.create_check_constraint(
        op.f("ck_benchmark_settings_known_flag_rule"),
        "benchmark_settings",
        "flag_rule IS NULL OR flag_rule IN ('limits', 'fdr')",
    )
    op.create_check_constraint(
        op.f("ck_benchmark_settings_known_overdispersion"),
        "benchmark_settings",
        "overdispersion IS NULL OR overdispersion IN ('auto', 'off')",
    )
    op.add_column(
        "flag_snapshots",
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.create_table(
        "benchmark_baselines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("qc_center_id", sa.BigInteger(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("indicator_id", sa.BigInteger(), nullable=False),
        sa.Column("baseline_indicator_id", sa.BigInteger(), nullable=False),
        sa.Column("baseline_year", sa.Integer(), nullable=False),
        sa.Column("baseline_scope", sa.String(length=8), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("rates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("set_by", sa.String(length=256), nullable=False),
        sa.CheckConstraint(
            "baseline_scope IN ('national', 'province')", name=op.f("ck_benchmark_baselines_known_scope")
        ),
        sa.CheckConstraint(
            "profile IN ('level_type', 'level_type_beds')", name=op.f("ck_benchmark_baselines_known_profile")
        ),
        sa.ForeignKeyConstraint(
            ["qc_center_id"], ["qc_centers.id"], name=op.f("fk_benchmark_baselines_qc_center_id_qc_centers")
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicators.id"], name=op.f("fk_benchmark_baselines_indicator_id_indicators")
        ),
        sa.ForeignKeyConstraint(
            ["baseline_indicator_id"],
            ["indicators.id"],
            name=op.f("fk_benchmark_baselines_baseline_indicator_id_indicators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_baselines")),
        sa.UniqueConstraint("qc_center_id", "indicator_id", name="uq_benchmark_baselines_center_indicator"),
    )
    op.create_index(
        op.f("ix_benchmark_baselines_province_code"), "benchmark_baselines", ["province_code"], unique=False
    )
    op.create_index(
        op.f("ix_benchmark_baselines_indicator_id"), "benchmark_baselines", ["indicator_id"], unique=False
    )
    rls.tenant_table("benchmark_baselines", national_rows=True)
    rls.grant("benchmark_baselines", "SELECT, INSERT, UPDATE, DELETE")
    rls.grant_sequences()


def downgrade() -> None:
    op.drop_index(op.f("ix_benchmark_baselines_indicator_id"), table_name="benchmark_baselines")
    op.drop_index(op.f("ix_benchmark_baselines_province_code"), table_name="benchmark_baselines")
    op.drop_table("benchmark_baselines")
    op.drop_column("flag_snapshots", "rules")
    op.drop_constraint(
        op.f("ck_benchmark_settings_known_overdispersion"), "benchmark_settings", type_="check"
    )
    op.drop_constraint(op.f("ck_benchmark_settings_known_flag_rule"), "benchmark_settings", type_="check")
    op.drop_column("benchmark_settings", "overdispersion")
    op.drop_column("benchmark_settings", "flag_rule")
    op.drop_column("benchmark_settings", "min_denominator_by_unit")
    # rows that relied on the platform default get the old default back (FORCE RLS: every province)
    op.execute("SELECT set_config('app.all_provinces', 'on', true)")
    op.execute("UPDATE benchmark_settings SET min_denominator = 10 WHERE min_denominator IS NULL")
    op.alter_column("benchmark_settings", "min_denominator", nullable=False, server_default="10")
