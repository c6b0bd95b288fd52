"""submissions: windows, headers, values, value history, events, idempotency keys, applicability

Revision ID: 0002
Revises: 0001
"""

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in below (work in progress)


def downgrade() -> None:
    pass
