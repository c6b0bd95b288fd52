"""bulk uploads: one job row per provincial file (status, progress, problems, result)

The values of a bulk upload go to the submission tables like any other submission; this table
tracks the job. Row-level security: a province's jobs are its own, and hospital roles (bound to a
hospital) see none, even of their own province.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NO_HOSPITAL = "coalesce(current_setting('app.hospital', true), '') = ''"


def upgrade() -> None:
    op.create_table(
        "bulk_uploads",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("quarter", sa.CHAR(length=6), nullable=True),
        sa.Column("actor_subject", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("keep_passing", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("phase", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rows_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("problem_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("problems", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'refused', 'failed')",
            name=op.f("ck_bulk_uploads_known_status"),
        ),
        sa.CheckConstraint("kind IN ('csv', 'xlsx', 'jsonl')", name=op.f("ck_bulk_uploads_known_kind")),
        sa.CheckConstraint("quarter ~ '^[0-9]{4}Q[1-4]$'", name=op.f("ck_bulk_uploads_quarter_format")),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_bulk_uploads_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_uploads")),
    )
    op.create_index(op.f("ix_bulk_uploads_province_code"), "bulk_uploads", ["province_code"], unique=False)
    op.execute("ALTER TABLE bulk_uploads ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE bulk_uploads FORCE ROW LEVEL SECURITY")
    scope = f"({rls.visible()} AND {NO_HOSPITAL})"
    op.execute(f"CREATE POLICY tenant_isolation ON bulk_uploads USING {scope} WITH CHECK {scope}")
    rls.grant("bulk_uploads", "SELECT, INSERT, UPDATE")
    rls.grant_sequences()


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON bulk_uploads")
    op.drop_index(op.f("ix_bulk_uploads_province_code"), table_name="bulk_uploads")
    op.drop_table("bulk_uploads")
