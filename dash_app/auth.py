"""Sign-in, sessions and the guard in front of every dashboard route and callback.

FastAPI dependencies do not protect a mounted WSGI app, so the Flask server checks the session in
``before_request``: no valid session → HTML pages redirect to ``/dash/login``, everything else
(callbacks, layout, component bundles) answers 401. The actor comes from the server-side session
only; nothing the browser sends (URL, dcc.Store, callback inputs) can widen it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from flask import Flask, Response, g, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse  # what redirect() answers; flask.Response is one

from dash_app import i18n
from dash_app.oidc import LoginFailed, OidcClient, new_verifier
from dash_app.session_db import DbSessionStore
from dash_app.sessions import CookieSigner, DashSession, PendingLogin, SessionStore
from platform_api.auth.claims import actor_from_claims
from platform_api.auth.verify import InvalidToken, TokenVerifier
from services.core.actor import Actor

SESSION_COOKIE = "qcp_dash"
LOGIN_COOKIE = "qcp_dash_login"
PUBLIC_PATHS = frozenset({"/login", "/callback", "/logout", "/signed-out"})
REFRESH_MARGIN = 30  # seconds before the access token expires
DASH_EXPIRED_MARKER = "JWT Expired"  # dash-renderer's JWT_EXPIRED_MESSAGE


@dataclass
class AuthContext:
    verifier: TokenVerifier
    oidc: OidcClient
    store: SessionStore | DbSessionStore
    signer: CookieSigner
    secure_cookies: bool


def current_session() -> DashSession:
    session = g.get("qcp_session")
    if session is None:  # the guard runs first: reaching here means a route escaped it
        raise RuntimeError("dashboard code ran without a session")
    return session


def current_actor() -> Actor:
    return current_session().actor


def current_lang() -> str:
    session = g.get("qcp_session")
    return i18n.norm(session.lang if session else None)


def _root() -> str:
    return request.script_root.rstrip("/")


def safe_next(value: str | None) -> str:
    """Only paths inside the dashboards: never an absolute or scheme-relative URL (open redirect)."""
    root = _root() + "/"
    if not value or not value.startswith(root) or value.startswith("//") or "\\" in value:
        return root
    return value


def _redirect_uri() -> str:
    return f"{request.host_url.rstrip('/')}{_root()}/callback"


def _cookie(response: BaseResponse, name: str, value: str, max_age: int, ctx: AuthContext) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=_root() + "/",
        httponly=True,
        samesite="Lax",
        secure=ctx.secure_cookies,
    )


def _message_page(text: str, status: int) -> BaseResponse:
    link = f'<a id="sign-in-again" href="{escape(_root())}/login">{i18n.both("sign_in_again")}</a>'
    body = (
        f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>QCP</title>"
        f"<body style='font-family:sans-serif;margin:3em'><p>{escape(text)}</p><p>{link}</p></body></html>"
    )
    return Response(body, status=status, mimetype="text/html")


def login(ctx: AuthContext) -> BaseResponse:
    state, verifier, browser = secrets.token_urlsafe(24), new_verifier(), secrets.token_urlsafe(24)
    ctx.store.add_pending(
        PendingLogin(state, verifier, browser, safe_next(request.args.get("next")), time.time())
    )
    try:
        url = ctx.oidc.authorization_url(redirect_uri=_redirect_uri(), state=state, verifier=verifier)
    except LoginFailed as exc:
        return _message_page(str(exc), 503)
    response = redirect(url, code=302)
    _cookie(response, LOGIN_COOKIE, ctx.signer.sign_login(browser), 600, ctx)
    return response


def callback(ctx: AuthContext) -> BaseResponse:
    if request.args.get("error"):
        return _message_page("登录被拒绝 / the sign-in was refused: " + request.args["error"][:100], 400)
    browser = ctx.signer.login_binding(request.cookies.get(LOGIN_COOKIE)) or ""
    pending = ctx.store.take_pending(request.args.get("state", ""), browser)
    if pending is None:
        return _message_page("登录请求无效或已过期 / the sign-in request is unknown or expired", 400)
    try:
        tokens = ctx.oidc.exchange(
            code=request.args.get("code", ""), redirect_uri=_redirect_uri(), verifier=pending.verifier
        )
        actor = actor_from_claims(ctx.verifier.verify(tokens.access_token))
    except (LoginFailed, InvalidToken) as exc:
        return _message_page(getattr(exc, "detail", str(exc)), 401)
    session = ctx.store.create(
        actor,
        refresh_token=tokens.refresh_token,
        access_expires_at=time.time() + tokens.expires_in,
        lang=i18n.DEFAULT_LANG,
    )
    response = redirect(pending.next_path, code=302)
    _cookie(response, SESSION_COOKIE, ctx.signer.sign_session(session.sid), int(ctx.store.max_age), ctx)
    response.delete_cookie(LOGIN_COOKIE, path=_root() + "/")
    return response


def logout(ctx: AuthContext) -> BaseResponse:
    session = ctx.store.drop(ctx.signer.session_id(request.cookies.get(SESSION_COOKIE)))
    if session is not None:
        ctx.oidc.logout(session.refresh_token)
    response = redirect(_root() + "/signed-out", code=302)
    response.delete_cookie(SESSION_COOKIE, path=_root() + "/")
    return response


def signed_out() -> BaseResponse:
    return _message_page(i18n.both("signed_out"), 200)


def switch_language(ctx: AuthContext, lang: str) -> BaseResponse:
    session = current_session()
    session.lang = i18n.norm(lang)
    ctx.store.save(session)
    return redirect(safe_next(request.args.get("next")), code=302)


def _refresh(ctx: AuthContext, session: DashSession) -> bool:
    """Renew the access token before it expires; the provider can end the session this way."""
    with ctx.store.locked(session) as current:  # one refresh across callbacks and workers
        if current is None:
            return False
        if current.access_expires_at - REFRESH_MARGIN <= time.time() and not _renew(ctx, current):
            return False
        session.actor, session.refresh_token = current.actor, current.refresh_token
        session.access_expires_at = current.access_expires_at
        return True


def _renew(ctx: AuthContext, session: DashSession) -> bool:
    if not session.refresh_token:
        return False
    try:
        tokens = ctx.oidc.refresh(session.refresh_token)
        actor = actor_from_claims(ctx.verifier.verify(tokens.access_token))
    except (LoginFailed, InvalidToken):
        return False
    if actor.subject != session.actor.subject:
        return False
    session.actor, session.refresh_token = actor, tokens.refresh_token or session.refresh_token
    session.access_expires_at = time.time() + tokens.expires_in
    return True


def _refuse() -> BaseResponse:
    if request.method == "GET" and not request.path.startswith(("/_dash", "/assets", "/_favicon")):
        target = _root() + request.full_path.rstrip("?")
        return redirect(f"{_root()}/login?next={quote(target, safe='/')}", code=302)
    # "JWT Expired" in the body makes Dash's renderer call its request_refresh_jwt hook, which
    # sends an open tab to the sign-in page (dash_app.app.RELOGIN_HOOK).
    response = jsonify(
        error="unauthenticated",
        detail="请先登录 / sign in first",
        login=_root() + "/login",
        reason=DASH_EXPIRED_MARKER,
    )
    response.status_code = 401
    return response


def guard(ctx: AuthContext) -> BaseResponse | None:
    if request.path in PUBLIC_PATHS:
        return None
    session = ctx.store.get(ctx.signer.session_id(request.cookies.get(SESSION_COOKIE)))
    if session is not None and session.access_expires_at - REFRESH_MARGIN <= time.time():
        if not _refresh(ctx, session):
            ctx.store.drop(session.sid)
            session = None
    if session is None:
        return _refuse()
    g.qcp_session = session
    return None


def install(server: Flask, ctx: AuthContext) -> None:
    """Routes of the sign-in flow and the guard; call before Dash registers its own routes."""
    server.add_url_rule("/login", "qcp_login", lambda: login(ctx))
    server.add_url_rule("/callback", "qcp_callback", lambda: callback(ctx))
    server.add_url_rule("/logout", "qcp_logout", lambda: logout(ctx), methods=["GET", "POST"])
    server.add_url_rule("/signed-out", "qcp_signed_out", signed_out)
    server.add_url_rule("/lang/<lang>", "qcp_lang", lambda lang: switch_language(ctx, lang))
    server.before_request(lambda: guard(ctx))
