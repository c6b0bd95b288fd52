"""catalog revisions and qcp-catalog/2: sources, verification marks, withdrawn indicators

A published year can now be corrected by a revision (a complete file with a reason): the year's row
holds the current revision, ``catalog_revisions`` every published file with its diff against the
revision before. Goals and indicators are updated in place by code (their ids stay, so stored
submission values keep pointing at them); indicators a revision removes are marked withdrawn, not
deleted. Goals, indicators and lineage edges gain verification marks and cited sources; goals their
core strategies (核心策略); lineage edges a textual destination for moves to a specialty goal that
is not known yet. Frozen flag snapshots record the catalog revision they used.

Existing years become revision 1 (their file text was not kept before this revision: NULL).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

VERIFICATION_CHECK = "verification IS NULL OR verification IN ('verified', 'inferred', 'unverified')"


def _marks(table: str) -> None:
    op.add_column(table, sa.Column("verification", sa.String(length=16), nullable=True))
    op.add_column(
        table,
        sa.Column("sources", postgresql.ARRAY(sa.String(length=64)), server_default="{}", nullable=False),
    )


def upgrade() -> None:
    op.add_column("catalog_years", sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
    op.add_column(
        "catalog_years",
        sa.Column("format", sa.String(length=16), server_default="qcp-catalog/1", nullable=False),
    )
    op.add_column(
        "catalog_years",
        sa.Column("specialty_list", sa.String(length=8), server_default="loaded", nullable=False),
    )
    op.add_column(
        "catalog_years",
        sa.Column("sources", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("catalog_years", sa.Column("revised_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("catalog_years", sa.Column("revised_by", sa.String(length=128), nullable=True))
    op.create_check_constraint(
        op.f("ck_catalog_years_known_specialty_list"),
        "catalog_years",
        "specialty_list IN ('loaded', 'pending')",
    )
    op.create_check_constraint(op.f("ck_catalog_years_positive_revision"), "catalog_years", "revision >= 1")

    op.create_table(
        "catalog_revisions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_text", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("reason_en", sa.Text(), server_default="", nullable=False),
        sa.Column("diff", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "published_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["year"], ["catalog_years.year"], name=op.f("fk_catalog_revisions_year_catalog_years")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_revisions")),
        sa.UniqueConstraint("year", "revision", name="uq_catalog_revisions_year_revision"),
    )
    op.create_index(op.f("ix_catalog_revisions_year"), "catalog_revisions", ["year"], unique=False)
    op.execute(
        "INSERT INTO catalog_revisions (year, revision, format, file_sha256, file_text, published_at, "
        "published_by) SELECT year, 1, 'qcp-catalog/1', file_sha256, NULL, published_at, published_by "
        "FROM catalog_years"
    )
    rls.grant("catalog_revisions", "SELECT")  # public documents; only the owner publishes

    op.add_column("goals", sa.Column("code_inferred", sa.Boolean(), server_default="false", nullable=False))
    _marks("goals")
    op.add_column(
        "goals",
        sa.Column("core_strategies", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.create_check_constraint(op.f("ck_goals_known_verification"), "goals", VERIFICATION_CHECK)

    _marks("indicators")
    op.add_column("indicators", sa.Column("source_note", sa.Text(), server_default="", nullable=False))
    op.add_column("indicators", sa.Column("withdrawn_revision", sa.Integer(), nullable=True))
    op.add_column("indicators", sa.Column("withdrawn_reason", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "indicators", sa.Column("withdrawn_reason_en", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "indicators",
        sa.Column("replaced_by", postgresql.ARRAY(sa.String(length=40)), server_default="{}", nullable=False),
    )
    op.create_check_constraint(op.f("ck_indicators_known_verification"), "indicators", VERIFICATION_CHECK)

    for table in ("goal_lineage", "indicator_lineage"):
        _marks(table)
        op.add_column(table, sa.Column("destination", sa.String(length=40), nullable=True))

    # the default fills existing rows without an UPDATE (flag snapshots are never updated)
    op.add_column(
        "flag_snapshots", sa.Column("catalog_revision", sa.Integer(), server_default="1", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("flag_snapshots", "catalog_revision")
    for table in ("goal_lineage", "indicator_lineage"):
        for column in ("destination", "sources", "verification"):
            op.drop_column(table, column)
    op.drop_constraint(op.f("ck_indicators_known_verification"), "indicators", type_="check")
    for column in (
        "replaced_by",
        "withdrawn_reason_en",
        "withdrawn_reason",
        "withdrawn_revision",
        "source_note",
        "sources",
        "verification",
    ):
        op.drop_column("indicators", column)
    op.drop_constraint(op.f("ck_goals_known_verification"), "goals", type_="check")
    for column in ("core_strategies", "sources", "verification", "code_inferred"):
        op.drop_column("goals", column)
    op.drop_index(op.f("ix_catalog_revisions_year"), table_name="catalog_revisions")
    op.drop_table("catalog_revisions")
    op.drop_constraint(op.f("ck_catalog_years_positive_revision"), "catalog_years", type_="check")
    op.drop_constraint(op.f("ck_catalog_years_known_specialty_list"), "catalog_years", type_="check")
    for column in ("revised_by", "revised_at", "sources", "specialty_list", "format", "revision"):
        op.drop_column("catalog_years", column)
