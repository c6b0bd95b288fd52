"""hardening: one QC center per level, province and specialty, even when a part is NULL

``uq_qc_centers_scope`` treated NULLs as distinct, so two national-admin requests creating the
same general (specialty NULL) or national (province NULL) center at the same instant both passed
the service's look-up and both inserted (found by tests/reliability/test_races.py). The constraint
becomes ``NULLS NOT DISTINCT`` (PostgreSQL 15+): the loser of the race gets the named 409.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # qc_centers is row-level secured (FORCE): read every province to find duplicates.
    op.execute("SELECT set_config('app.all_provinces', 'on', true)")
    op.execute(
        """
        DO $$
        DECLARE dup text;
        BEGIN
          SELECT string_agg(ids, '; ') INTO dup FROM (
            SELECT string_agg(id::text, ', ' ORDER BY id) AS ids FROM qc_centers
            GROUP BY level, province_code, specialty_code HAVING count(*) > 1
          ) d;
          IF dup IS NOT NULL THEN
            RAISE EXCEPTION 'duplicate QC centers for one level, province and specialty (ids %): '
              'merge them (keep one id, move networks and settings to it) before upgrading', dup;
          END IF;
        END $$;
        """
    )
    op.drop_constraint("uq_qc_centers_scope", "qc_centers", type_="unique")
    op.execute(
        "ALTER TABLE qc_centers ADD CONSTRAINT uq_qc_centers_scope "
        "UNIQUE NULLS NOT DISTINCT (province_code, specialty_code, level)"
    )


def downgrade() -> None:
    op.drop_constraint("uq_qc_centers_scope", "qc_centers", type_="unique")
    op.create_unique_constraint(
        "uq_qc_centers_scope", "qc_centers", ["province_code", "specialty_code", "level"]
    )
