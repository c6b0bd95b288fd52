"""Server-side dashboard sessions: the browser holds only a signed random id.

The interface every store implements: ``create``, ``get``, ``drop``, ``save`` (persist a changed
session), ``locked`` (exclusive access while the access token is refreshed), ``add_pending`` and
``take_pending``. The app uses the PostgreSQL store (``dash_app.session_db``), shared by every
worker; the in-memory ``SessionStore`` here serves unit tests and single-process tools.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from itsdangerous import BadSignature, Signer

from services.core.actor import Actor

IDLE_SECONDS = 30 * 60
MAX_AGE_SECONDS = 10 * 60 * 60
PENDING_SECONDS = 10 * 60


@dataclass
class DashSession:
    sid: str
    actor: Actor
    refresh_token: str | None
    access_expires_at: float
    created_at: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    lang: str = "zh"
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


@dataclass(frozen=True)
class PendingLogin:
    """An authorization request in flight: bound to the browser that started it."""

    state: str
    verifier: str
    browser: str
    next_path: str
    created_at: float


class SessionStore:
    """In-memory sessions and pending logins, with idle and absolute expiry."""

    def __init__(self, *, idle: float = IDLE_SECONDS, max_age: float = MAX_AGE_SECONDS) -> None:
        self.idle, self.max_age = idle, max_age
        self._sessions: dict[str, DashSession] = {}
        self._pending: dict[str, PendingLogin] = {}
        self._lock = threading.Lock()

    def create(
        self, actor: Actor, *, refresh_token: str | None, access_expires_at: float, lang: str
    ) -> DashSession:
        session = DashSession(secrets.token_urlsafe(32), actor, refresh_token, access_expires_at, lang=lang)
        with self._lock:
            self._prune()
            self._sessions[session.sid] = session
        return session

    def get(self, sid: str | None) -> DashSession | None:
        """The live session, touched; None when unknown or expired (an expired one is dropped)."""
        if not sid:
            return None
        now = time.time()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if now - session.last_seen > self.idle or now - session.created_at > self.max_age:
                del self._sessions[sid]
                return None
            session.last_seen = now
            return session

    def drop(self, sid: str | None) -> DashSession | None:
        with self._lock:
            return self._sessions.pop(sid or "", None)

    def save(self, session: DashSession) -> None:
        """Nothing to do: the caller changed the stored object itself."""

    @contextmanager
    def locked(self, session: DashSession) -> Iterator[DashSession | None]:
        with session.lock:  # concurrent callbacks: one refresh (refresh tokens are single-use)
            yield session if session.sid in self._sessions else None

    def __len__(self) -> int:
        return len(self._sessions)

    def add_pending(self, pending: PendingLogin) -> None:
        with self._lock:
            self._prune()
            self._pending[pending.state] = pending

    def take_pending(self, state: str, browser: str) -> PendingLogin | None:
        """Single use; only for the browser that started the login, and only for a while."""
        with self._lock:
            pending = self._pending.pop(state, None)
        if pending is None or not secrets.compare_digest(pending.browser, browser or ""):
            return None
        if time.time() - pending.created_at > PENDING_SECONDS:
            return None
        return pending

    def _prune(self) -> None:
        now = time.time()
        for sid in [
            s
            for s, v in self._sessions.items()
            if now - v.last_seen > self.idle or now - v.created_at > self.max_age
        ]:
            del self._sessions[sid]
        for state in [k for k, v in self._pending.items() if now - v.created_at > PENDING_SECONDS]:
            del self._pending[state]


class CookieSigner:
    """Signs the session id (and the login binding) so a forged cookie is refused before any lookup."""

    def __init__(self, secret: str) -> None:
        self._session = Signer(secret, salt="qcp-dash-session")
        self._login = Signer(secret, salt="qcp-dash-login")

    def sign_session(self, sid: str) -> str:
        return self._session.sign(sid).decode()

    def session_id(self, cookie: str | None) -> str | None:
        return self._unsign(self._session, cookie)

    def sign_login(self, value: str) -> str:
        return self._login.sign(value).decode()

    def login_binding(self, cookie: str | None) -> str | None:
        return self._unsign(self._login, cookie)

    @staticmethod
    def _unsign(signer: Signer, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return signer.unsign(cookie).decode()
        except (BadSignature, UnicodeDecodeError):
            return None
