"""Dashboard sessions in PostgreSQL: shared by workers, hashed keys, expiry, single-use logins."""

from __future__ import annotations

import hashlib
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from dash import Dash
from sqlalchemy import create_engine, text

from dash_app.auth import SESSION_COOKIE
from dash_app.session_db import DbSessionStore
from dash_app.sessions import PendingLogin
from services.core.actor import Actor, Role
from tests.api_harness import ServerThread, free_port
from tests.dash.conftest import build_platform
from tests.dash.support import layout, sign_in

ACTOR = Actor(
    subject="u-db",
    roles=frozenset({Role.HOSPITAL_SUBMITTER}),
    province="330000",
    hospital_id=7,
    name="张三",
    extra={"preferred_username": "h.user"},
)


def _row(database, sid: str):  # noqa: ANN001, ANN202
    with database.engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT * FROM web_sessions WHERE key_hash = :h"),
                {"h": hashlib.sha256(sid.encode()).hexdigest()},
            )
            .mappings()
            .one_or_none()
        )


def test_stores_the_sha256_of_the_session_id_never_the_id(demo_db) -> None:  # noqa: ANN001
    database = demo_db[1]
    store = DbSessionStore(database)
    session = store.create(ACTOR, refresh_token="rt-1", access_expires_at=time.time() + 300, lang="en")
    row = _row(database, session.sid)
    assert row is not None and row["kind"] == "session"
    assert session.sid not in str(dict(row))
    again = store.get(session.sid)
    assert again.actor == ACTOR and again.actor.name == "张三" and again.actor.extra == ACTOR.extra
    assert (again.lang, again.refresh_token) == ("en", "rt-1")


def test_session_in_the_database_expires_when_idle(demo_db) -> None:  # noqa: ANN001
    database = demo_db[1]
    store = DbSessionStore(database, idle=60)
    session = store.create(ACTOR, refresh_token=None, access_expires_at=time.time() + 300, lang="zh")
    session.last_seen -= 61
    store.save(session)
    assert store.get(session.sid) is None
    assert _row(database, session.sid) is None  # deleted, not just refused


def test_session_in_the_database_has_an_absolute_lifetime(demo_db) -> None:  # noqa: ANN001
    store = DbSessionStore(demo_db[1], max_age=3600)
    session = store.create(ACTOR, refresh_token=None, access_expires_at=time.time() + 300, lang="zh")
    session.created_at -= 3601
    store.save(session)
    assert store.get(session.sid) is None


def test_pending_login_in_the_database_is_single_use_and_bound_to_the_browser(demo_db) -> None:  # noqa: ANN001
    store = DbSessionStore(demo_db[1])
    store.add_pending(PendingLogin("state-1", "verifier", "browser-a", "/dash/x", time.time()))
    assert store.take_pending("state-1", "browser-b") is None
    assert store.take_pending("state-1", "browser-a") is None  # the wrong browser used it up
    store.add_pending(PendingLogin("state-2", "verifier", "browser-a", "/dash/x", time.time()))
    taken = store.take_pending("state-2", "browser-a")
    assert taken is not None and (taken.verifier, taken.next_path) == ("verifier", "/dash/x")
    assert store.take_pending("state-2", "browser-a") is None
    store.add_pending(PendingLogin("state-3", "verifier", "browser-a", "/dash/", time.time() - 3600))
    assert store.take_pending("state-3", "browser-a") is None  # expired


def test_prune_deletes_only_expired_rows(demo_db) -> None:  # noqa: ANN001
    database = demo_db[1]
    store = DbSessionStore(database, idle=60)
    live = store.create(ACTOR, refresh_token=None, access_expires_at=time.time() + 300, lang="zh")
    stale = store.create(ACTOR, refresh_token=None, access_expires_at=time.time() + 300, lang="zh")
    stale.last_seen -= 120
    store.save(stale)
    assert store.prune() >= 1
    assert _row(database, stale.sid) is None
    assert _row(database, live.sid) is not None


def test_app_role_may_read_write_and_delete_sessions_but_not_truncate(demo_db) -> None:  # noqa: ANN001
    engine = create_engine(demo_db[0].owner)
    with engine.connect() as conn:
        privileges = {
            p: conn.execute(
                text("SELECT has_table_privilege('qcp_app', 'web_sessions', :p)"), {"p": p}
            ).scalar()
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
        }
        rls = conn.execute(
            text("SELECT relrowsecurity FROM pg_class WHERE relname = 'web_sessions'")
        ).scalar()
    engine.dispose()
    assert privileges == {"SELECT": True, "INSERT": True, "UPDATE": True, "DELETE": True, "TRUNCATE": False}
    assert rls is False  # not tenant data: found only by the hash of a secret the browser holds


def test_two_app_instances_share_a_login(live_dash, second_worker) -> None:  # noqa: ANN001
    first = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)  # through one worker
    cookie = first.cookies[SESSION_COOKIE]
    with httpx.Client(
        base_url=second_worker, cookies={SESSION_COOKIE: cookie}, follow_redirects=False
    ) as other:
        page = other.get("/dash/province")
        assert page.status_code == 200, page.headers.get("location")
        shell = layout(other)
        assert shell.status_code == 200 and "user-name" in shell.text  # the session's frame, not the bare one
        assert other.get("/dash/logout").status_code == 302  # sign out through the second worker …
    assert layout(first).status_code == 401  # … ends the session on the first
    first.close()


def test_each_instance_refuses_without_a_session(second_worker) -> None:  # noqa: ANN001
    answer = httpx.get(second_worker + "/dash/province", follow_redirects=False)
    assert answer.status_code == 302 and answer.headers["location"].startswith("/dash/login")


def test_a_fresh_worker_serves_the_page_scripts_to_concurrent_first_requests(live_dash, monkeypatch) -> None:  # noqa: ANN001
    """A browser asks a worker for all of a page's scripts at once. Dash sets itself up on its first
    request and let the others through before it had registered its scripts: 500 for react.js and a
    blank page (found with 4 workers, where a fresh process takes ~1 s to set up). Every instance now
    sets Dash up when it is built. The set-up is slowed down here as in a fresh process."""
    first = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)
    scripts = re.findall(r'src="(/dash/_dash-component-suites/[^"]+)"', first.get("/dash/").text)
    assert any("react@" in s for s in scripts) and any("dash_renderer" in s for s in scripts)
    walk = Dash._walk_assets_directory  # noqa: SLF001

    def slow_walk(self) -> None:  # noqa: ANN001
        time.sleep(1.0)
        walk(self)

    monkeypatch.setattr(Dash, "_walk_assets_directory", slow_walk)
    port = free_port()
    server = ServerThread(
        build_platform(live_dash.database, port, live_dash.issuer.base_url), port=port
    ).start()
    cookie = first.cookies[SESSION_COOKIE]

    def fetch(script: str) -> tuple[str, int, str]:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies={SESSION_COOKIE: cookie}) as client:
            answer = client.get(script)
            return script, answer.status_code, answer.headers.get("content-type", "")

    try:
        with ThreadPoolExecutor(max_workers=len(scripts)) as pool:
            answers = list(pool.map(fetch, scripts))  # the instance's first requests, all at once
    finally:
        server.stop()
        first.close()
    assert [a for a in answers if a[1] != 200 or "javascript" not in a[2]] == []
