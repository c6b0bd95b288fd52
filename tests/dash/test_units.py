"""Sessions, cookie signing, i18n and safe redirects (no server)."""

from __future__ import annotations

import time

from dash_app import i18n
from dash_app.oidc import new_verifier, s256
from dash_app.sessions import CookieSigner, PendingLogin, SessionStore
from services.core.actor import Actor, Role

ACTOR = Actor(subject="u", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")


def test_session_expires_when_idle() -> None:
    store = SessionStore(idle=60)
    session = store.create(ACTOR, refresh_token=None, access_expires_at=time.time() + 300, lang="zh")
    assert store.get(session.sid) is session
    session.last_seen -= 61
    assert store.get(session.sid) is None
    assert len(store) == 0


def test_session_has_an_absolute_lifetime() -> None:
    store = SessionStore(max_age=3600)
    session = store.create(ACTOR, refresh_token=None, access_expires_at=time.time() + 300, lang="zh")
    session.created_at -= 3601
    assert store.get(session.sid) is None


def test_pending_login_is_single_use_and_bound_to_the_browser() -> None:
    store = SessionStore()
    store.add_pending(PendingLogin("s1", "v", "browser-a", "/dash/", time.time()))
    assert store.take_pending("s1", "browser-b") is None
    store.add_pending(PendingLogin("s2", "v", "browser-a", "/dash/", time.time()))
    assert store.take_pending("s2", "browser-a") is not None
    assert store.take_pending("s2", "browser-a") is None


def test_cookie_signature_refuses_tampering() -> None:
    signer = CookieSigner("x" * 40)
    cookie = signer.sign_session("abc")
    assert signer.session_id(cookie) == "abc"
    assert signer.session_id(cookie[:-1] + ("A" if cookie[-1] != "A" else "B")) is None
    assert CookieSigner("y" * 40).session_id(cookie) is None
    assert signer.login_binding(cookie) is None  # a session cookie is not a login binding


def test_pkce_s256_matches_rfc7636_example() -> None:
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert 43 <= len(new_verifier()) <= 128


def test_i18n_chinese_first_english_on_request() -> None:
    assert i18n.t("nav.logout") == "退出"
    assert i18n.t("nav.logout", "en") == "Sign out"
    assert i18n.t("nav.logout", "fr") == "退出"
    assert i18n.pair("未找到 / not found", "en") == "not found"
    assert i18n.pair("未找到 / not found", "zh") == "未找到"
    assert i18n.pick("标题", "", "en") == "标题"


def test_every_text_has_both_languages() -> None:
    assert all(zh and en for zh, en in i18n.TEXT.values())
