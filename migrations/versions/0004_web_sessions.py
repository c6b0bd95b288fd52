"""web sessions: dashboard sessions and pending logins shared by every worker

Not tenant-scoped (no province column, no row-level security): a row is found only by the
sha256 of a random secret the browser holds, and is not any tenant's business data. The app role
may delete rows (sign-out, expiry).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("actor", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("login", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("lang", sa.String(length=8), server_default="zh", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('session', 'pending')", name=op.f("ck_web_sessions_known_kind")),
        sa.CheckConstraint(
            "kind <> 'session' OR actor IS NOT NULL", name=op.f("ck_web_sessions_session_has_actor")
        ),
        sa.CheckConstraint(
            "kind <> 'pending' OR login IS NOT NULL", name=op.f("ck_web_sessions_pending_has_login")
        ),
        sa.CheckConstraint("key_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_web_sessions_key_is_sha256")),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"], unique=False)
    rls.grant("web_sessions", "SELECT, INSERT, UPDATE, DELETE")


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_expires_at"), table_name="web_sessions")
    op.drop_table("web_sessions")
