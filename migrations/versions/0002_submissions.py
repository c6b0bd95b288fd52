"""submissions: windows, headers, values, value history, events, idempotency keys, applicability

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

HOSPITAL_TABLES = (
    "submissions",
    "submission_values",
    "submission_value_versions",
    "submission_events",
    "idempotency_keys",
    "indicator_applicability",
)
APPEND_ONLY = ("submission_value_versions", "submission_events")


def upgrade() -> None:
    op.create_table(
        "submission_windows",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("quarter", sa.CHAR(length=6), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locks_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=256), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("quarter ~ '^[0-9]{4}Q[1-4]$'", name=op.f("ck_submission_windows_quarter_format")),
        sa.CheckConstraint(
            "opens_at <= due_at AND due_at <= locks_at", name=op.f("ck_submission_windows_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_submission_windows_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_windows")),
        sa.UniqueConstraint("province_code", "quarter", name="uq_submission_windows_province_quarter"),
    )
    op.create_index(
        op.f("ix_submission_windows_province_code"), "submission_windows", ["province_code"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_subject", sa.String(length=256), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_idempotency_keys_hospital",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("province_code", "actor_subject", "key", name="uq_idempotency_keys_caller_key"),
    )
    op.create_index(
        op.f("ix_idempotency_keys_province_code"), "idempotency_keys", ["province_code"], unique=False
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("quarter", sa.CHAR(length=6), nullable=False),
        sa.Column("catalog_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=256), nullable=True),
        sa.Column("review_comment", sa.Text(), server_default="", nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_by", sa.String(length=256), nullable=True),
        sa.Column("reopen_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("quarter ~ '^[0-9]{4}Q[1-4]$'", name=op.f("ck_submissions_quarter_format")),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'returned', 'approved')",
            name=op.f("ck_submissions_known_status"),
        ),
        sa.CheckConstraint("version >= 0", name=op.f("ck_submissions_version_non_negative")),
        sa.ForeignKeyConstraint(
            ["catalog_year"], ["catalog_years.year"], name=op.f("fk_submissions_catalog_year_catalog_years")
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_submissions_hospital",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("hospital_id", "quarter", name="uq_submissions_hospital_quarter"),
        sa.UniqueConstraint("id", "hospital_id", "province_code", name="uq_submissions_id_tenant"),
    )
    op.create_index(op.f("ix_submissions_province_code"), "submissions", ["province_code"], unique=False)
    op.create_index(op.f("ix_submissions_quarter"), "submissions", ["quarter"], unique=False)
    op.create_table(
        "indicator_applicability",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("goal_id", sa.BigInteger(), nullable=False),
        sa.Column("indicator_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("set_by", sa.String(length=256), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status = 'required' OR reason <> ''",
            name=op.f("ck_indicator_applicability_not_applicable_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('required', 'not_applicable')", name=op.f("ck_indicator_applicability_known_status")
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_indicator_applicability_goal_id_goals")
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_indicator_applicability_hospital",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_applicability_indicator_id_indicators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_applicability")),
        sa.UniqueConstraint(
            "hospital_id",
            "goal_id",
            "indicator_id",
            name="uq_indicator_applicability_target",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        op.f("ix_indicator_applicability_goal_id"), "indicator_applicability", ["goal_id"], unique=False
    )
    op.create_index(
        op.f("ix_indicator_applicability_province_code"),
        "indicator_applicability",
        ["province_code"],
        unique=False,
    )
    op.create_table(
        "submission_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("submission_id", sa.BigInteger(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("submission_version", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("actor_subject", sa.String(length=256), nullable=False),
        sa.Column("actor_roles", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "action IN ('submit', 'correct', 'approve', 'return', 'reopen')",
            name=op.f("ck_submission_events_known_action"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id", "hospital_id", "province_code"],
            ["submissions.id", "submissions.hospital_id", "submissions.province_code"],
            name="fk_submission_events_submission",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_events")),
    )
    op.create_index(
        op.f("ix_submission_events_province_code"), "submission_events", ["province_code"], unique=False
    )
    op.create_index(
        op.f("ix_submission_events_submission_id"), "submission_events", ["submission_id"], unique=False
    )
    op.create_table(
        "submission_value_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("submission_id", sa.BigInteger(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("indicator_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("actor_subject", sa.String(length=256), nullable=False),
        sa.Column("actor_roles", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "source IN ('api', 'csv', 'xlsx', 'fhir', 'page')",
            name=op.f("ck_submission_value_versions_known_source"),
        ),
        sa.CheckConstraint(
            "numerator >= 0 AND denominator >= 0",
            name=op.f("ck_submission_value_versions_counts_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_submission_value_versions_indicator_id_indicators"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id", "hospital_id", "province_code"],
            ["submissions.id", "submissions.hospital_id", "submissions.province_code"],
            name="fk_submission_value_versions_submission",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_value_versions")),
        sa.UniqueConstraint(
            "submission_id", "indicator_id", "version", name="uq_submission_value_versions_version"
        ),
    )
    op.create_index(
        op.f("ix_submission_value_versions_province_code"),
        "submission_value_versions",
        ["province_code"],
        unique=False,
    )
    op.create_table(
        "submission_values",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("submission_id", sa.BigInteger(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("indicator_id", sa.BigInteger(), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.String(length=256), nullable=False),
        sa.CheckConstraint(
            "numerator >= 0 AND denominator >= 0", name=op.f("ck_submission_values_counts_non_negative")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_submission_values_version_positive")),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicators.id"], name=op.f("fk_submission_values_indicator_id_indicators")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id", "hospital_id", "province_code"],
            ["submissions.id", "submissions.hospital_id", "submissions.province_code"],
            name="fk_submission_values_submission",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_values")),
        sa.UniqueConstraint(
            "submission_id", "indicator_id", name="uq_submission_values_submission_indicator"
        ),
    )
    op.create_index(
        op.f("ix_submission_values_indicator_id"), "submission_values", ["indicator_id"], unique=False
    )
    op.create_index(
        op.f("ix_submission_values_province_code"), "submission_values", ["province_code"], unique=False
    )

    rls.tenant_table("submission_windows")
    for table in HOSPITAL_TABLES:
        rls.tenant_table(table, hospital_column="hospital_id")
    # no DELETE anywhere: corrections are new versions, history stays
    for table in ("submission_windows", "submissions", "submission_values", "indicator_applicability"):
        rls.grant(table, "SELECT, INSERT, UPDATE")
    for table in (*APPEND_ONLY, "idempotency_keys"):
        rls.grant(table, "SELECT, INSERT")
    for table in APPEND_ONLY:
        rls.append_only(table)
    rls.grant_sequences()


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_index(op.f("ix_submission_values_province_code"), table_name="submission_values")
    op.drop_index(op.f("ix_submission_values_indicator_id"), table_name="submission_values")
    op.drop_table("submission_values")
    op.drop_index(op.f("ix_submission_value_versions_province_code"), table_name="submission_value_versions")
    op.drop_table("submission_value_versions")
    op.drop_index(op.f("ix_submission_events_submission_id"), table_name="submission_events")
    op.drop_index(op.f("ix_submission_events_province_code"), table_name="submission_events")
    op.drop_table("submission_events")
    op.drop_index(op.f("ix_indicator_applicability_province_code"), table_name="indicator_applicability")
    op.drop_index(op.f("ix_indicator_applicability_goal_id"), table_name="indicator_applicability")
    op.drop_table("indicator_applicability")
    op.drop_index(op.f("ix_submissions_quarter"), table_name="submissions")
    op.drop_index(op.f("ix_submissions_province_code"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_index(op.f("ix_idempotency_keys_province_code"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index(op.f("ix_submission_windows_province_code"), table_name="submission_windows")
    op.drop_table("submission_windows")
