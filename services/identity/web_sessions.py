"""Housekeeping of ``web_sessions`` (dashboard sessions and logins in flight).

Called by ``qcp sessions purge`` / ``qcp sessions rotate-key`` and by the dashboards' session store;
a scheduled job can call :func:`purge_expired_sessions` in a unit of work as well. Services never
commit: the caller owns the transaction. The table is not tenant-scoped (see the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.core.crypto import TokenCipher
from services.models import WebSession


def purge_expired_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete every session and pending login whose ``expires_at`` has passed; returns how many."""
    moment = now or datetime.now(UTC)
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= moment))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RotationResult:
    rotated: int  # re-encrypted with the first key
    dropped: int  # no configured key opened them: the refresh token is removed (sign in again)


def rotate_refresh_tokens(session: Session, *, cipher: TokenCipher) -> RotationResult:
    """Re-encrypt every stored refresh token with the cipher's first key, so older keys can be
    removed from the configuration afterwards."""
    rows = session.execute(
        select(WebSession).where(WebSession.refresh_token.is_not(None)).with_for_update()
    ).scalars()
    rotated = dropped = 0
    for row in rows:
        fresh = cipher.rotate(row.refresh_token or "")
        if fresh is None:
            dropped += 1
        else:
            rotated += 1
        row.refresh_token = fresh
    session.flush()
    return RotationResult(rotated=rotated, dropped=dropped)
