"""The development issuer: Keycloak's OIDC paths on loopback, for the demo and the tests.

It serves ``/realms/{realm}`` (public key), ``.well-known/openid-configuration`` and
``protocol/openid-connect/{certs,token,auth,userinfo,logout}``. Grants: ``client_credentials``
(hospital systems), ``password`` (demo users), ``authorization_code`` with PKCE S256 (dashboard),
``refresh_token``. It refuses any non-loopback address and only runs when ``start_dev_issuer`` is
called; the API settings refuse ``QCP_DEV_ISSUER`` in production.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from platform_api.auth import dev_tokens
from platform_api.auth.dev_directory import DevClient, DevDirectory, DevUser
from platform_api.auth.dev_flows import (
    AuthRequest,
    IssuerState,
    OAuthError,
    authenticate_client,
    login_page,
    token_response,
)
from platform_api.settings import UnsafeSettings, is_loopback_host

OIDC = "/protocol/openid-connect"


def _state(request: Request, realm: str) -> IssuerState:
    state: IssuerState = request.app.state.issuer
    if realm != state.realm:
        raise HTTPException(404, detail="Realm does not exist")
    return state


def _discovery(issuer: str) -> dict:
    oidc = f"{issuer}{OIDC}"
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{oidc}/auth",
        "token_endpoint": f"{oidc}/token",
        "userinfo_endpoint": f"{oidc}/userinfo",
        "end_session_endpoint": f"{oidc}/logout",
        "jwks_uri": f"{oidc}/certs",
        "grant_types_supported": ["authorization_code", "refresh_token", "password", "client_credentials"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email"],
        "claims_supported": [
            "sub",
            "iss",
            "name",
            "preferred_username",
            "province",
            "hospital_id",
            "qc_center_id",
            "specialty",
            "realm_access",
        ],
    }


router = APIRouter(prefix="/realms/{realm}")


@router.get("")
def realm_info(state: IssuerState = Depends(_state)) -> dict:
    return {
        "realm": state.realm,
        "public_key": state.keys.public_key_b64(),
        "token-service": f"{state.issuer}{OIDC}",
        "account-service": f"{state.issuer}/account",
        "tokens-not-before": 0,
    }


@router.get("/.well-known/openid-configuration")
def discovery(state: IssuerState = Depends(_state)) -> dict:
    return _discovery(state.issuer)


@router.get(f"{OIDC}/certs")
def certs(state: IssuerState = Depends(_state)) -> dict:
    state.certs_requests += 1
    return state.keys.jwks()


@router.post(f"{OIDC}/token")
async def token(request: Request, state: IssuerState = Depends(_state)) -> JSONResponse:
    form = dict(await request.form())
    client = authenticate_client(state, request.headers.get("authorization"), form)
    return JSONResponse(token_response(state, client, form), headers={"Cache-Control": "no-store"})


@router.get(f"{OIDC}/auth")
def authorize_page(request: Request, state: IssuerState = Depends(_state)) -> Response:
    auth = AuthRequest.parse(state, dict(request.query_params))
    return HTMLResponse(login_page(auth))


@router.post(f"{OIDC}/auth")
async def authorize_login(request: Request, state: IssuerState = Depends(_state)) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    auth = AuthRequest.parse(state, form)
    user = state.check_password(form.get("username", ""), form.get("password", ""))
    if user is None:
        return HTMLResponse(login_page(auth, error="用户名或密码错误 / invalid username or password"))
    return RedirectResponse(auth.success_redirect(state, user), status_code=302)


@router.api_route(f"{OIDC}/userinfo", methods=["GET", "POST"])
def userinfo(request: Request, state: IssuerState = Depends(_state)) -> JSONResponse:
    header = request.headers.get("authorization", "")
    try:
        claims = state.keys.verify(header.removeprefix("Bearer ").strip(), state.issuer)
    except Exception:  # noqa: BLE001 - any failure is an invalid token to the caller
        return JSONResponse(
            {"error": "invalid_token", "error_description": "Token verification failed"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    keep = ("sub", "preferred_username", "name", "province", "hospital_id", "qc_center_id", "specialty")
    return JSONResponse({k: claims[k] for k in keep if k in claims})


@router.post(f"{OIDC}/logout")
async def logout(request: Request, state: IssuerState = Depends(_state)) -> Response:
    form = dict(await request.form())
    client = authenticate_client(state, request.headers.get("authorization"), form)
    if not state.revoke(str(form.get("refresh_token", "")), client):
        raise OAuthError(400, "invalid_grant", "Invalid refresh token")
    return Response(status_code=204)


@router.get(f"{OIDC}/logout")
def logout_redirect(request: Request, state: IssuerState = Depends(_state)) -> Response:
    params = request.query_params
    client = state.directory.client(params.get("client_id", ""))
    target = params.get("post_logout_redirect_uri", "")
    if client and target and client.allows_redirect(target):
        suffix = f"?state={params['state']}" if params.get("state") else ""
        return RedirectResponse(target + suffix, status_code=302)
    return HTMLResponse("<!doctype html><meta charset=utf-8><p>已退出 / You are signed out.</p>")


def build_issuer_app(state: IssuerState) -> FastAPI:
    app = FastAPI(title="QCP development issuer", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.issuer = state
    app.include_router(router)

    @app.exception_handler(OAuthError)
    async def _oauth(request: Request, exc: OAuthError) -> JSONResponse:
        return JSONResponse(
            {"error": exc.error, "error_description": exc.description},
            status_code=exc.status,
            headers={"Cache-Control": "no-store"},
        )

    return app


@dataclass
class DevIssuerHandle:
    """A running development issuer. ``base_url`` is python-keycloak's ``server_url``."""

    base_url: str
    issuer: str
    realm: str
    state: IssuerState
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)

    @property
    def keys(self) -> dev_tokens.DevKeys:
        return self.state.keys

    def sign(self, claims: dict, header: dict | None = None) -> str:
        """Sign arbitrary claims with the issuer's key (tests build hostile tokens with this)."""
        return self.state.keys.sign(claims, header)

    def user_token(self, username: str, client_id: str = "qcp-dashboard", **overrides: Any) -> str:
        user = self.state.directory.user(username)
        if user is None:
            raise KeyError(username)
        claims = dev_tokens.user_access_claims(
            self.issuer, user, client_id=client_id, audience=self.state.audience
        )
        return self.sign({**claims, **overrides})

    def client_token(self, client_id: str, **overrides: Any) -> str:
        client = self.state.directory.client(client_id)
        if client is None:
            raise KeyError(client_id)
        claims = dev_tokens.client_access_claims(self.issuer, client, audience=self.state.audience)
        return self.sign({**claims, **overrides})

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> DevIssuerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bind_loopback(host: str, port: int) -> socket.socket:
    if not is_loopback_host(host):
        raise UnsafeSettings(
            f"开发签发者只能监听本机回环地址 / the development issuer refuses non-loopback address {host!r}"
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    if not is_loopback_host(sock.getsockname()[0]):  # "localhost" must really have resolved to loopback
        sock.close()
        raise UnsafeSettings(
            f"开发签发者绑定到了非回环地址 / bound to non-loopback {sock.getsockname()[0]!r}"
        )
    sock.listen(128)
    return sock


def start_dev_issuer(
    directory: DevDirectory,
    host: str = "127.0.0.1",
    port: int = 0,
    realm: str = "qcp",
    *,
    key_path: str | Path | None = None,
    audience: tuple[str, ...] = ("qcp-api",),
) -> DevIssuerHandle:
    """Start the issuer in a background thread; ``port=0`` picks a free port. Loopback only."""
    sock = _bind_loopback(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    base_url = f"http://{url_host}:{bound_port}/"
    issuer = f"{base_url}realms/{realm}"
    state = IssuerState(realm, issuer, dev_tokens.DevKeys(key_path), directory, list(audience))
    config = uvicorn.Config(build_issuer_app(state), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="qcp-dev-issuer", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("开发签发者启动失败 / the development issuer did not start")
        time.sleep(0.02)
    return DevIssuerHandle(base_url, issuer, realm, state, server, thread, sock)


__all__ = ["DevClient", "DevDirectory", "DevIssuerHandle", "DevUser", "start_dev_issuer", "build_issuer_app"]
