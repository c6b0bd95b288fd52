"""benchmark: flag snapshots (append-only), QC-center benchmark settings and targets

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SNAPSHOT_TABLES = ("flag_snapshots", "flag_snapshot_entries")


def upgrade() -> None:
    op.create_table(
        "flag_snapshots",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("scope", sa.String(length=96), nullable=False),
        sa.Column("quarter", sa.CHAR(length=6), nullable=False),
        sa.Column("include_submitted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("values_used", sa.Integer(), nullable=False),
        sa.Column("min_denominator", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.CheckConstraint("quarter ~ '^[0-9]{4}Q[1-4]$'", name=op.f("ck_flag_snapshots_quarter_format")),
        sa.CheckConstraint(
            "trigger IN ('manual', 'window_lock')", name=op.f("ck_flag_snapshots_known_trigger")
        ),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_flag_snapshots_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_snapshots")),
        sa.UniqueConstraint("id", "province_code", name="uq_flag_snapshots_id_province"),
        sa.UniqueConstraint("province_code", "scope", "quarter", name="uq_flag_snapshots_scope_quarter"),
    )
    op.create_index(
        op.f("ix_flag_snapshots_province_code"), "flag_snapshots", ["province_code"], unique=False
    )
    op.create_table(
        "benchmark_settings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("qc_center_id", sa.BigInteger(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("min_denominator", sa.Integer(), server_default="10", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.String(length=256), nullable=False),
        sa.CheckConstraint(
            "min_denominator >= 1", name=op.f("ck_benchmark_settings_min_denominator_positive")
        ),
        sa.ForeignKeyConstraint(
            ["qc_center_id"], ["qc_centers.id"], name=op.f("fk_benchmark_settings_qc_center_id_qc_centers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_settings")),
        sa.UniqueConstraint("qc_center_id", name=op.f("uq_benchmark_settings_qc_center_id")),
    )
    op.create_index(
        op.f("ix_benchmark_settings_province_code"), "benchmark_settings", ["province_code"], unique=False
    )
    op.create_table(
        "benchmark_targets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("qc_center_id", sa.BigInteger(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("indicator_id", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("set_by", sa.String(length=256), nullable=False),
        sa.CheckConstraint(
            "target >= 0 AND target <= 1", name=op.f("ck_benchmark_targets_target_is_proportion")
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicators.id"], name=op.f("fk_benchmark_targets_indicator_id_indicators")
        ),
        sa.ForeignKeyConstraint(
            ["qc_center_id"], ["qc_centers.id"], name=op.f("fk_benchmark_targets_qc_center_id_qc_centers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_targets")),
        sa.UniqueConstraint("qc_center_id", "indicator_id", name="uq_benchmark_targets_center_indicator"),
    )
    op.create_index(
        op.f("ix_benchmark_targets_indicator_id"), "benchmark_targets", ["indicator_id"], unique=False
    )
    op.create_index(
        op.f("ix_benchmark_targets_province_code"), "benchmark_targets", ["province_code"], unique=False
    )
    op.create_table(
        "flag_snapshot_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("snapshot_id", sa.BigInteger(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("indicator_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=True),
        sa.Column("denominator", sa.Integer(), nullable=True),
        sa.Column("z", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.CheckConstraint(
            "kind IN ('alarm', 'alert', 'worst_decile', 'persistent', 'deteriorating', 'missing')",
            name=op.f("ck_flag_snapshot_entries_known_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_flag_snapshot_entries_hospital",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicators.id"], name=op.f("fk_flag_snapshot_entries_indicator_id_indicators")
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id", "province_code"],
            ["flag_snapshots.id", "flag_snapshots.province_code"],
            name="fk_flag_snapshot_entries_snapshot",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_snapshot_entries")),
    )
    op.create_index(
        op.f("ix_flag_snapshot_entries_hospital_id"), "flag_snapshot_entries", ["hospital_id"], unique=False
    )
    op.create_index(
        op.f("ix_flag_snapshot_entries_province_code"),
        "flag_snapshot_entries",
        ["province_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_flag_snapshot_entries_snapshot_id"), "flag_snapshot_entries", ["snapshot_id"], unique=False
    )

    rls.tenant_table("flag_snapshots")
    rls.tenant_table("flag_snapshot_entries", hospital_column="hospital_id")
    rls.tenant_table("benchmark_settings", national_rows=True)
    rls.tenant_table("benchmark_targets", national_rows=True)
    # snapshots are what was reported: insert and read only, never changed
    for table in SNAPSHOT_TABLES:
        rls.grant(table, "SELECT, INSERT")
        rls.append_only(table)
    for table in ("benchmark_settings", "benchmark_targets"):
        rls.grant(table, "SELECT, INSERT, UPDATE, DELETE")
    rls.grant_sequences()


def downgrade() -> None:
    for table in SNAPSHOT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_index(op.f("ix_flag_snapshot_entries_snapshot_id"), table_name="flag_snapshot_entries")
    op.drop_index(op.f("ix_flag_snapshot_entries_province_code"), table_name="flag_snapshot_entries")
    op.drop_index(op.f("ix_flag_snapshot_entries_hospital_id"), table_name="flag_snapshot_entries")
    op.drop_table("flag_snapshot_entries")
    op.drop_index(op.f("ix_benchmark_targets_province_code"), table_name="benchmark_targets")
    op.drop_index(op.f("ix_benchmark_targets_indicator_id"), table_name="benchmark_targets")
    op.drop_table("benchmark_targets")
    op.drop_index(op.f("ix_benchmark_settings_province_code"), table_name="benchmark_settings")
    op.drop_table("benchmark_settings")
    op.drop_index(op.f("ix_flag_snapshots_province_code"), table_name="flag_snapshots")
    op.drop_table("flag_snapshots")
