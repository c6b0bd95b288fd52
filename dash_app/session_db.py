"""Dashboard sessions in PostgreSQL (table ``web_sessions``), shared by every uvicorn worker.

Same interface as the in-memory ``SessionStore``. Rows are keyed by the sha256 of the random
session id (or of the login's ``state``): the raw secret never reaches the database, so a
leaked table cannot be replayed as cookies. The table is not tenant-scoped (see
``services/models/web_session.py``); it is read and written as the restricted app role with no
tenant bound. ``last_seen_at`` is written at most once a minute per session, and expired rows
are deleted at most every few minutes per worker (when a session or login is created) and by
``qcp sessions purge``. Refresh tokens are stored encrypted with Fernet (``services.core.crypto``,
keys from ``QCP_SESSION_ENCRYPTION_KEYS``): a copy of the table opens no Keycloak session.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from dash_app.sessions import IDLE_SECONDS, MAX_AGE_SECONDS, PENDING_SECONDS, DashSession, PendingLogin
from services.core.actor import Actor, Role
from services.core.crypto import TokenCipher
from services.core.db import Database
from services.identity.web_sessions import purge_expired_sessions
from services.models import WebSession

TOUCH_SECONDS = 60
PRUNE_SECONDS = 300


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def actor_json(actor: Actor) -> dict:
    return {
        "subject": actor.subject,
        "roles": sorted(actor.roles),
        "province": actor.province,
        "hospital_id": actor.hospital_id,
        "qc_center_id": actor.qc_center_id,
        "specialty": actor.specialty,
        "client_id": actor.client_id,
        "name": actor.name,
        "extra": actor.extra,
    }


def actor_from_json(data: dict) -> Actor:
    return Actor(
        subject=data["subject"],
        roles=frozenset(Role(r) for r in data["roles"]),
        province=data.get("province"),
        hospital_id=data.get("hospital_id"),
        qc_center_id=data.get("qc_center_id"),
        specialty=data.get("specialty"),
        client_id=data.get("client_id"),
        name=data.get("name") or "",
        extra=data.get("extra") or {},
    )


class DbSessionStore:
    """Sessions and pending logins in ``web_sessions``, with idle and absolute expiry."""

    def __init__(
        self,
        database: Database,
        *,
        idle: float = IDLE_SECONDS,
        max_age: float = MAX_AGE_SECONDS,
        cipher: TokenCipher | None = None,
    ) -> None:
        self.database, self.idle, self.max_age = database, idle, max_age
        # Without configured keys nothing survives this process, but nothing is stored in clear either.
        self.cipher = cipher or TokenCipher.ephemeral()
        self._pruned_at = 0.0

    # -- sessions ---------------------------------------------------------------------------------

    def _expires(self, session: DashSession) -> datetime:
        return _at(min(session.last_seen + self.idle, session.created_at + self.max_age))

    def _values(self, session: DashSession) -> dict:
        return {
            "actor": actor_json(session.actor),
            "refresh_token": self.cipher.encrypt(session.refresh_token),
            "access_expires_at": _at(session.access_expires_at),
            "lang": session.lang,
            "created_at": _at(session.created_at),
            "last_seen_at": _at(session.last_seen),
            "expires_at": self._expires(session),
        }

    def _session(self, sid: str, row: WebSession) -> DashSession:
        assert row.actor is not None and row.access_expires_at is not None  # what makes it a session row
        return DashSession(
            sid,
            actor_from_json(row.actor),
            self.cipher.decrypt(row.refresh_token),
            row.access_expires_at.timestamp(),
            created_at=row.created_at.timestamp(),
            last_seen=row.last_seen_at.timestamp(),
            lang=row.lang,
        )

    def create(
        self, actor: Actor, *, refresh_token: str | None, access_expires_at: float, lang: str
    ) -> DashSession:
        self._maybe_prune()
        session = DashSession(secrets.token_urlsafe(32), actor, refresh_token, access_expires_at, lang=lang)
        with self.database.unit_of_work(None) as db:
            db.add(WebSession(key_hash=key_hash(session.sid), kind="session", **self._values(session)))
        return session

    def get(self, sid: str | None) -> DashSession | None:
        """The live session, touched; None when unknown or expired (an expired one is deleted)."""
        if not sid:
            return None
        now = time.time()
        with self.database.unit_of_work(None) as db:
            row = db.get(WebSession, key_hash(sid))
            if row is None or row.kind != "session":
                return None
            session = self._session(sid, row)
            if now - session.last_seen > self.idle or now - session.created_at > self.max_age:
                db.delete(row)
                return None
            if now - session.last_seen >= min(TOUCH_SECONDS, self.idle / 2):
                session.last_seen = now
                row.last_seen_at, row.expires_at = _at(now), self._expires(session)
            return session

    def drop(self, sid: str | None) -> DashSession | None:
        if not sid:
            return None
        with self.database.unit_of_work(None) as db:
            row = db.execute(
                delete(WebSession)
                .where(WebSession.key_hash == key_hash(sid), WebSession.kind == "session")
                .returning(WebSession)
            ).scalar_one_or_none()
            return None if row is None else self._session(sid, row)

    def save(self, session: DashSession) -> None:
        """Persist what the caller changed (tokens after a refresh, the language, times)."""
        with self.database.unit_of_work(None) as db:
            db.execute(
                update(WebSession)
                .where(WebSession.key_hash == key_hash(session.sid))
                .values(**self._values(session))
            )

    @contextmanager
    def locked(self, session: DashSession) -> Iterator[DashSession | None]:
        """The stored session, row-locked across workers while the caller refreshes its tokens;
        changes made to the yielded session are saved when the block ends without an error."""
        with self.database.unit_of_work(None) as db:
            row = db.execute(
                select(WebSession)
                .where(WebSession.key_hash == key_hash(session.sid), WebSession.kind == "session")
                .with_for_update()
            ).scalar()
            current = None if row is None else self._session(session.sid, row)
            yield current
            if current is not None:
                for key, value in self._values(current).items():
                    setattr(row, key, value)

    def __len__(self) -> int:
        with self.database.unit_of_work(None) as db:
            return len(db.execute(select(WebSession.key_hash).where(WebSession.kind == "session")).all())

    # -- logins in flight -------------------------------------------------------------------------

    def add_pending(self, pending: PendingLogin) -> None:
        self._maybe_prune()
        login = {
            "verifier": self.cipher.encrypt(pending.verifier),  # the PKCE secret, encrypted like tokens
            "browser": key_hash(pending.browser),
            "next": pending.next_path,
        }
        with self.database.unit_of_work(None) as db:
            db.add(
                WebSession(
                    key_hash=key_hash(pending.state),
                    kind="pending",
                    login=login,
                    created_at=_at(pending.created_at),
                    last_seen_at=_at(pending.created_at),
                    expires_at=_at(pending.created_at + PENDING_SECONDS),
                )
            )

    def take_pending(self, state: str, browser: str) -> PendingLogin | None:
        """Single use (deleted as it is read); only for the browser that started the login, and only
        for a while."""
        if not state:
            return None
        with self.database.unit_of_work(None) as db:
            row = db.execute(
                delete(WebSession)
                .where(WebSession.key_hash == key_hash(state), WebSession.kind == "pending")
                .returning(WebSession)
            ).scalar_one_or_none()
        if row is None or row.login is None:
            return None
        if not secrets.compare_digest(row.login["browser"], key_hash(browser or "")):
            return None
        verifier = self.cipher.decrypt(row.login["verifier"])
        if row.expires_at.timestamp() <= time.time() or verifier is None:
            return None
        return PendingLogin(state, verifier, browser, row.login["next"], row.created_at.timestamp())

    # -- housekeeping -----------------------------------------------------------------------------

    def prune(self) -> int:
        """Delete every expired session and login; returns how many."""
        with self.database.unit_of_work(None) as db:
            return purge_expired_sessions(db, now=_at(time.time()))

    def _maybe_prune(self) -> None:
        now = time.time()
        if now - self._pruned_at >= PRUNE_SECONDS:
            self._pruned_at = now
            self.prune()
