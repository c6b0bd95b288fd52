"""Dashboard sign-in state shared by every worker: sessions and pending logins.

Rows are found only by ``key_hash`` (sha256 of a random secret the browser holds: the session id,
or the OIDC ``state`` of a login in flight); the raw secret is never stored. The table carries no
province column and no row-level security on purpose: a row is not business data of any tenant,
and nobody can list or guess rows — a lookup needs the secret. ``actor`` is the Actor built from
the verified access-token claims at sign-in (and at each token refresh): the session's scope.
Rows are deleted on sign-out and when they expire (pruned opportunistically).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.base import Base


class WebSession(Base):
    __tablename__ = "web_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex sha256 of the secret
    kind: Mapped[str] = mapped_column(String(8))  # session | pending
    actor: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # the signed-in Actor (from verified claims)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    login: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB
    )  # pending: PKCE verifier, browser hash, next path
    lang: Mapped[str] = mapped_column(String(8), server_default="zh")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (
        CheckConstraint("kind IN ('session', 'pending')", name="known_kind"),
        CheckConstraint("kind <> 'session' OR actor IS NOT NULL", name="session_has_actor"),
        CheckConstraint("kind <> 'pending' OR login IS NOT NULL", name="pending_has_login"),
        CheckConstraint("key_hash ~ '^[0-9a-f]{64}$'", name="key_is_sha256"),
    )
