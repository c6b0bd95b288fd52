"""history by province and id: the benchmark cache's data version in one index step

``services/benchmark/cache.py`` keys computed benchmarks by a data version that includes the
newest accepted value (``submission_value_versions.id``) of the scope's province. The index on
``province_code`` alone answered ``max(id) … WHERE province_code = …`` by walking the primary key
backwards past every other province's newer rows; (province_code, id) answers it at once and serves
every lookup the old index served. Row-level security is unchanged (an index is no new data).

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_submission_value_versions_province_id",
        "submission_value_versions",
        ["province_code", "id"],
        unique=False,
    )
    op.drop_index("ix_submission_value_versions_province_code", table_name="submission_value_versions")


def downgrade() -> None:
    op.create_index(
        "ix_submission_value_versions_province_code",
        "submission_value_versions",
        ["province_code"],
        unique=False,
    )
    op.drop_index("ix_submission_value_versions_province_id", table_name="submission_value_versions")
