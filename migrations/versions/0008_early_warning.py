"""early warning: a new frozen flag kind ``early_warning`` (risk-adjusted CUSUM signal)

``flag_snapshot_entries.kind`` gains ``early_warning``: a hospital × indicator whose quarterly
CUSUM crossed its control limit h this quarter (services/benchmark/early_warning.py). The table,
its row-level security and grants are unchanged. Downgrade deletes frozen early-warning entries
(they cannot be expressed by the older constraint) and restores the constraint.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD = "kind IN ('alarm', 'alert', 'worst_decile', 'persistent', 'deteriorating', 'missing')"
NEW = "kind IN ('alarm', 'alert', 'worst_decile', 'persistent', 'deteriorating', 'missing', 'early_warning')"
NAME = "ck_flag_snapshot_entries_known_kind"


def upgrade() -> None:
    op.drop_constraint(op.f(NAME), "flag_snapshot_entries", type_="check")
    op.create_check_constraint(op.f(NAME), "flag_snapshot_entries", NEW)


def downgrade() -> None:
    op.execute("DELETE FROM flag_snapshot_entries WHERE kind = 'early_warning'")
    op.drop_constraint(op.f(NAME), "flag_snapshot_entries", type_="check")
    op.create_check_constraint(op.f(NAME), "flag_snapshot_entries", OLD)
