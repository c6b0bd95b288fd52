"""Refresh tokens are encrypted at rest in web_sessions; expired sessions are purged (issue 21)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from typer.testing import CliRunner

from dash_app.session_db import DbSessionStore
from platform_api.cli.main import root
from platform_api.settings import ApiSettings, UnsafeSettings, api_settings
from services.core.actor import Actor, Role
from services.core.config import database_settings
from services.core.crypto import TokenCipher
from services.identity.web_sessions import purge_expired_sessions, rotate_refresh_tokens

ACTOR = Actor(subject="u-enc", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000", name="李四")
TOKEN = "eyJhbGciOiJSUzI1NiJ9.refresh-token-body-7f3a9c.signature-0d1e2f"


def stored(database, sid: str) -> dict:  # noqa: ANN001
    with database.engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM web_sessions WHERE key_hash = :h"),
            {"h": hashlib.sha256(sid.encode()).hexdigest()},
        ).mappings()
        return dict(row.one())


def raw_table(database) -> str:  # noqa: ANN001
    with database.engine.connect() as conn:
        return conn.execute(
            text("SELECT coalesce(string_agg(w::text, '|'), '') FROM web_sessions w")
        ).scalar()


def test_the_row_never_holds_the_refresh_token_in_clear(demo_db) -> None:  # noqa: ANN001
    database = demo_db[1]
    store = DbSessionStore(database, cipher=TokenCipher([Fernet.generate_key()]))
    session = store.create(ACTOR, refresh_token=TOKEN, access_expires_at=time.time() + 300, lang="zh")
    row = stored(database, session.sid)
    assert row["refresh_token"] and row["refresh_token"] != TOKEN
    assert TOKEN not in raw_table(database) and "refresh-token-body" not in raw_table(database)
    assert store.get(session.sid).refresh_token == TOKEN  # the store reads it back
    session.refresh_token = TOKEN + "-rotated-by-keycloak"
    store.save(session)  # a refresh writes the new token, encrypted as well
    assert "rotated-by-keycloak" not in raw_table(database)
    with store.locked(session) as current:
        assert current.refresh_token == TOKEN + "-rotated-by-keycloak"
    assert "rotated-by-keycloak" not in raw_table(database)
    store.drop(session.sid)


def test_a_copy_of_the_table_without_the_key_opens_nothing(demo_db) -> None:  # noqa: ANN001
    database = demo_db[1]
    writer = DbSessionStore(database, cipher=TokenCipher([Fernet.generate_key()]))
    session = writer.create(ACTOR, refresh_token=TOKEN, access_expires_at=time.time() + 300, lang="zh")
    other = DbSessionStore(database, cipher=TokenCipher([Fernet.generate_key()]))
    assert other.get(session.sid).refresh_token is None  # the session stands; its token is unusable
    writer.drop(session.sid)


def test_a_token_stored_in_clear_before_encryption_is_ignored_not_used(demo_db) -> None:  # noqa: ANN001
    database = demo_db[1]
    store = DbSessionStore(database)
    session = store.create(ACTOR, refresh_token=None, access_expires_at=time.time() + 300, lang="zh")
    with database.engine.begin() as conn:
        conn.execute(
            text("UPDATE web_sessions SET refresh_token = :t WHERE key_hash = :h"),
            {"t": TOKEN, "h": hashlib.sha256(session.sid.encode()).hexdigest()},
        )
    assert store.get(session.sid).refresh_token is None
    store.drop(session.sid)


def test_key_rotation_keeps_sessions_and_then_drops_the_old_key(demo_db) -> None:  # noqa: ANN001
    database = demo_db[1]
    old, new = Fernet.generate_key(), Fernet.generate_key()
    session = DbSessionStore(database, cipher=TokenCipher([old])).create(
        ACTOR, refresh_token=TOKEN, access_expires_at=time.time() + 300, lang="zh"
    )
    both = DbSessionStore(database, cipher=TokenCipher([new, old]))
    assert both.get(session.sid).refresh_token == TOKEN  # old key still decrypts
    with database.unit_of_work(None) as db:
        result = rotate_refresh_tokens(db, cipher=TokenCipher([new, old]))
    assert result.rotated >= 1
    assert DbSessionStore(database, cipher=TokenCipher([new])).get(session.sid).refresh_token == TOKEN
    assert DbSessionStore(database, cipher=TokenCipher([old])).get(session.sid).refresh_token is None
    both.drop(session.sid)


def test_purge_deletes_expired_sessions_and_logins_and_keeps_live_ones(demo_db) -> None:  # noqa: ANN001
    database = demo_db[1]
    store = DbSessionStore(database, idle=60)
    live = store.create(ACTOR, refresh_token=TOKEN, access_expires_at=time.time() + 300, lang="zh")
    idle = store.create(ACTOR, refresh_token=TOKEN, access_expires_at=time.time() + 300, lang="zh")
    idle.last_seen -= 120
    store.save(idle)
    with database.unit_of_work(None) as db:
        assert purge_expired_sessions(db) >= 1
    with database.engine.connect() as conn:
        expired = conn.execute(text("SELECT count(*) FROM web_sessions WHERE expires_at <= now()")).scalar()
    assert expired == 0
    assert stored_or_none(database, idle.sid) is None
    assert stored_or_none(database, live.sid) is not None
    with database.unit_of_work(None) as db:  # a moment in the future expires the live one too
        assert purge_expired_sessions(db, now=datetime.fromtimestamp(time.time() + 7200, UTC)) >= 1
    assert stored_or_none(database, live.sid) is None


def stored_or_none(database, sid: str) -> dict | None:  # noqa: ANN001
    with database.engine.connect() as conn:
        row = conn.execute(
            text("SELECT key_hash FROM web_sessions WHERE key_hash = :h"),
            {"h": hashlib.sha256(sid.encode()).hexdigest()},
        ).one_or_none()
    return None if row is None else dict(row._mapping)


@pytest.fixture
def cli_env(demo_db, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # noqa: ANN001
    urls = demo_db[0]
    monkeypatch.setenv("QCP_MIGRATION_DATABASE_URL", urls.owner)
    monkeypatch.setenv("QCP_DATABASE_URL", urls.app)
    monkeypatch.setenv("QCP_ENVIRONMENT", "test")
    database_settings.cache_clear()
    api_settings.cache_clear()
    yield
    database_settings.cache_clear()
    api_settings.cache_clear()


def test_qcp_sessions_purge_deletes_expired_rows(demo_db, cli_env) -> None:  # noqa: ANN001
    database = demo_db[1]
    store = DbSessionStore(database, idle=60)
    stale = store.create(ACTOR, refresh_token=None, access_expires_at=time.time() + 300, lang="zh")
    stale.last_seen -= 120
    store.save(stale)
    result = CliRunner().invoke(root, ["sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert "expired sessions deleted" in result.output and "过期会话" in result.output
    assert stored_or_none(database, stale.sid) is None


def test_qcp_sessions_rotate_key_reencrypts_with_the_first_key(demo_db, cli_env, monkeypatch) -> None:  # noqa: ANN001
    database = demo_db[1]
    old, new = Fernet.generate_key(), Fernet.generate_key()
    session = DbSessionStore(database, cipher=TokenCipher([old])).create(
        ACTOR, refresh_token=TOKEN, access_expires_at=time.time() + 300, lang="zh"
    )
    monkeypatch.setenv("QCP_SESSION_ENCRYPTION_KEYS", f"{new.decode()},{old.decode()}")
    result = CliRunner().invoke(root, ["sessions", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert DbSessionStore(database, cipher=TokenCipher([new])).get(session.sid).refresh_token == TOKEN


def test_production_requires_a_valid_encryption_key() -> None:
    base = {
        "environment": "production",
        "keycloak_url": "https://sso.example.cn/",
        "session_secret": Fernet.generate_key().hex(),
        "rate_limit_storage_url": "redis://127.0.0.1:6379/0",
    }
    with pytest.raises(UnsafeSettings, match="requires QCP_SESSION_ENCRYPTION_KEYS"):
        ApiSettings(**base)
    with pytest.raises(UnsafeSettings, match="key 2 is not a Fernet key"):
        ApiSettings(**base, session_encryption_keys=f"{Fernet.generate_key().decode()},not-a-key")
    settings = ApiSettings(**base, session_encryption_keys=Fernet.generate_key().decode())
    assert len(settings.session_encryption_key_list()) == 1


def test_workers_sharing_the_session_secret_share_the_derived_key_outside_production() -> None:
    a = ApiSettings(environment="test", session_secret="s" * 40).session_encryption_key_list()
    b = ApiSettings(environment="test", session_secret="s" * 40).session_encryption_key_list()
    assert a == b and TokenCipher(b).decrypt(TokenCipher(a).encrypt(TOKEN)) == TOKEN
    assert ApiSettings(environment="test").session_encryption_key_list() is None


def test_a_login_in_flight_keeps_its_pkce_verifier_encrypted(demo_db) -> None:  # noqa: ANN001
    from dash_app.sessions import PendingLogin

    database = demo_db[1]
    store = DbSessionStore(database, cipher=TokenCipher([Fernet.generate_key()]))
    verifier = "pkce-verifier-" + "v" * 40
    store.add_pending(PendingLogin("state-enc", verifier, "browser-x", "/dash/", time.time()))
    assert "pkce-verifier" not in raw_table(database)
    taken = store.take_pending("state-enc", "browser-x")
    assert taken is not None and taken.verifier == verifier
