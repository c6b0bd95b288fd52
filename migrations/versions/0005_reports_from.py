"""hospitals.reports_from: the first quarter a hospital must report

Completeness and "missing" flags counted every active hospital as expected in every quarter, so a
hospital registered today was missing in all past quarters, and a deactivated one vanished from
the quarters it did owe. A hospital now owes quarter Q when ``reports_from <= Q`` and it was not
deactivated before Q ended (or it submitted Q anyway). New hospitals default to the quarter of
their registration (China Standard Time); existing ones to the earlier of that quarter and their
first submission.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

REGISTRATION_QUARTER = "to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY\"Q\"Q')"


def upgrade() -> None:
    op.add_column("hospitals", sa.Column("reports_from", sa.String(length=6), nullable=True))
    # hospitals and submissions FORCE row-level security: read and write every province here
    op.execute("SELECT set_config('app.all_provinces', 'on', true)")
    op.execute("""
        UPDATE hospitals h SET reports_from = least(
            to_char(h.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY"Q"Q'),
            (SELECT min(s.quarter) FROM submissions s
             WHERE s.hospital_id = h.id AND s.province_code = h.province_code))
    """)
    op.alter_column("hospitals", "reports_from", nullable=False, server_default=sa.text(REGISTRATION_QUARTER))
    op.create_check_constraint(
        op.f("ck_hospitals_reports_from_is_a_quarter"), "hospitals", "reports_from ~ '^[0-9]{4}Q[1-4]$'"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_hospitals_reports_from_is_a_quarter"), "hospitals", type_="check")
    op.drop_column("hospitals", "reports_from")
