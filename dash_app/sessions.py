"""Server-side dashboard sessions: the browser holds only a signed random id.

The store lives in this process's memory. That is right for one worker (``qcp serve``, the demo);
several workers need a shared store (a database table or Redis) behind the same interface, or a
sticky load balancer — see docs/dashboards.md.
"""

from __future__ import annotations

import secrets
import threading
import time
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

    def create(self, actor: Actor, *, refresh_token: str | None, access_expires_at: float, lang: str) -> DashSession:
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
        for sid in [s for s, v in self._sessions.items()
                    if now - v.last_seen > self.idle or now - v.created_at > self.max_age]:
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
