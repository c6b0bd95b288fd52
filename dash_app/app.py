"""The Dash app, mounted at ``/dash/`` inside the FastAPI app (one process, one port).

``mount_dashboards(app, database=..., settings=..., verifier=...)`` is called by ``create_app``.
The Flask server behind Dash refuses every route and callback without a server-side session
(``dash_app.auth``); pages read data through ``dash_app.data`` with the session's actor.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from a2wsgi import WSGIMiddleware
from dash import Dash
from fastapi import FastAPI
from flask import Flask, Response, current_app, request

from dash_app import auth
from dash_app.callback_errors import on_callback_error
from dash_app.oidc import OidcClient
from dash_app.session_db import DbSessionStore
from dash_app.sessions import CookieSigner, SessionStore
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings
from services.core.crypto import TokenCipher
from services.core.db import Database

PREFIX = "/dash"
# Dash's renderer calls request_refresh_jwt when a callback answers 401 with "JWT Expired" in the
# body (auth._refuse): an open tab whose session ended goes to the sign-in page, then back here.
RELOGIN_HOOK = (
    "function(){window.location.assign('" + PREFIX + "/login?next='+encodeURIComponent("
    "window.location.pathname+window.location.search));return new Promise(function(){});}"
)


@dataclass
class DashContext:
    database: Database
    settings: ApiSettings
    auth: auth.AuthContext


def context() -> DashContext:
    return current_app.config["QCP"]


def database() -> Database:
    return context().database


def _client_secret(settings: ApiSettings) -> str | None:
    return settings.dashboard_client_secret  # QCP_DASHBOARD_CLIENT_SECRET


def build_auth_context(
    settings: ApiSettings,
    verifier: TokenVerifier,
    *,
    store: SessionStore | DbSessionStore,
    oidc: OidcClient | None = None,
) -> auth.AuthContext:
    # Without a configured secret (demo, tests) cookies are signed with a key of this process only:
    # several workers must share QCP_SESSION_SECRET (production requires it anyway).
    secret = settings.session_secret or secrets.token_urlsafe(48)
    oidc = oidc or OidcClient(
        server_url=settings.issuer_base_url,
        realm=settings.keycloak_realm,
        client_id=settings.dashboard_client_id,
        client_secret=_client_secret(settings),
    )
    return auth.AuthContext(
        verifier=verifier,
        oidc=oidc,
        store=store,
        signer=CookieSigner(secret),
        secure_cookies=settings.environment == "production",
    )


def _csp(dash_app: Dash) -> str:
    scripts = " ".join(["'self'", *dash_app.csp_hashes()])
    return (
        "default-src 'self'; "
        f"script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'; object-src 'none'"
    )


def _security_headers(response: Response, csp: str, secure: bool) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", csp)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if not request.path.startswith(("/_dash-component-suites", "/assets")):
        headers["Cache-Control"] = "no-store"
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


class QcpDash(Dash):
    """Dash whose page names its language (screen readers and translators read <html lang>):
    zh-CN, or en after the language switch."""

    def interpolate_index(self, *args: Any, **kwargs: Any) -> str:
        page = super().interpolate_index(*args, **kwargs)
        lang = "en" if auth.current_lang() == "en" else "zh-CN"
        return page.replace("<html>", f'<html lang="{lang}">', 1)


def build_dash(ctx: DashContext) -> Dash:
    from dash_app import shell

    server = Flask("qcp_dash")
    server.config["QCP"] = ctx
    server.config["MAX_CONTENT_LENGTH"] = ctx.settings.max_request_bytes
    auth.install(server, ctx.auth)
    dash_app = QcpDash(
        __name__,
        server=server,  # type: ignore[arg-type]  # a Flask app, as Dash documents; its annotation omits it
        requests_pathname_prefix=f"{PREFIX}/",
        routes_pathname_prefix="/",
        suppress_callback_exceptions=True,
        title="QCP 医疗质量控制平台",
        update_title=None,  # type: ignore[arg-type]  # None turns the "Updating..." title off (Dash docs)
        serve_locally=True,
        assets_folder="assets",
        hooks={"request_refresh_jwt": RELOGIN_HOOK},
        on_error=on_callback_error,  # a forged or failing callback answers a notice, never a 500
    )
    dash_app.layout = shell.layout
    shell.register(dash_app)
    _register_component_files(dash_app)
    csp, secure = _csp(dash_app), ctx.auth.secure_cookies
    server.after_request(lambda response: _security_headers(response, csp, secure))
    server.register_error_handler(404, _not_found)
    return dash_app


NOT_FOUND_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>未找到 / Not found · QCP</title><link rel="stylesheet" href="{root}/assets/qcp.css"></head>
<body><main style="max-width:640px;margin:48px auto;font-family:sans-serif">
<h1>未找到该页面或您无权查看</h1><p>Not found, or not yours to see.</p>
<p><a href="{root}/">返回首页 / back to the dashboards</a></p></main></body></html>"""


def _not_found(_error: Exception) -> Response:
    """One bilingual answer for a missing page and for one the session may not see (the same
    answer for both, so a URL does not tell whether another hospital's report exists)."""
    return Response(NOT_FOUND_PAGE.format(root=PREFIX), status=404, mimetype="text/html")


def _register_component_files(dash_app: Dash) -> None:
    """Dash sets itself up on its first request (registering the component scripts it may serve),
    but marks that done before doing it: concurrent first requests of a fresh worker, a browser
    loading a page's scripts, got 500. Set up now, once, before any request."""
    with dash_app.server.test_request_context(f"{PREFIX}/"):
        dash_app._setup_server()  # noqa: SLF001  (Dash's own first-request set-up)


def mount_dashboards(
    app: FastAPI,
    *,
    database: Database,
    settings: ApiSettings,
    verifier: TokenVerifier,
    store: SessionStore | DbSessionStore | None = None,
) -> Dash:
    """Serve the dashboards at ``/dash/`` of ``app``; returns the Dash app (tests use it).

    Sessions live in PostgreSQL (``web_sessions``) unless a ``store`` is given, so every worker
    of ``QCP_WORKERS`` serves every signed-in user."""
    if store is None:
        keys = settings.session_encryption_key_list()
        store = DbSessionStore(database, cipher=TokenCipher(keys) if keys else None)
    ctx = DashContext(
        database=database, settings=settings, auth=build_auth_context(settings, verifier, store=store)
    )
    dash_app = build_dash(ctx)
    app.state.dashboards = dash_app
    # a2wsgi types its ASGI interface with its own TypedDicts, Starlette with MutableMapping: the same protocol.
    app.mount(PREFIX, WSGIMiddleware(dash_app.server))  # type: ignore[arg-type]
    return dash_app
