"""OAuth flows of the development issuer: client authentication, grants, codes, refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlencode

from platform_api.auth import dev_tokens
from platform_api.auth.dev_directory import DevClient, DevDirectory, DevUser

CODE_SECONDS = 60
REFRESH_SECONDS = 1800


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status, self.error, self.description = status, error, description


@dataclass
class Grant:
    """What a code or a refresh token stands for."""

    username: str
    client_id: str
    scope: str
    sid: str
    expires_at: float
    redirect_uri: str = ""
    code_challenge: str = ""
    nonce: str | None = None


@dataclass
class IssuerState:
    realm: str
    issuer: str
    keys: dev_tokens.DevKeys
    directory: DevDirectory
    audience: list[str]
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    certs_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check_password(self, username: str, password: str) -> DevUser | None:
        user = self.directory.user(username)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            return None
        return user

    def issue_code(self, grant: Grant) -> str:
        code = secrets.token_urlsafe(32)
        with self.lock:
            self.codes[code] = grant
        return code

    def take(self, store: dict[str, Grant], key: str) -> Grant | None:
        """Remove and return a live grant: codes and refresh tokens are single-use."""
        with self.lock:
            grant = store.pop(key, None)
        return grant if grant is not None and grant.expires_at > time.time() else None

    def revoke(self, refresh_token: str, client: DevClient) -> bool:
        grant = self.take(self.refresh_tokens, refresh_token)
        if grant is None or grant.client_id != client.client_id:
            return False
        with self.lock:  # end the whole session
            for key in [k for k, g in self.refresh_tokens.items() if g.sid == grant.sid]:
                del self.refresh_tokens[key]
        return True


def authenticate_client(state: IssuerState, authorization: str | None, form: dict) -> DevClient:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if authorization and authorization.lower().startswith("basic "):
        try:
            raw = base64.b64decode(authorization[6:].strip()).decode()
        except ValueError as exc:
            raise OAuthError(401, "invalid_client", "Malformed basic credentials") from exc
        client_id, _, secret = (unquote_plus(part) for part in raw.partition(":"))
    client = state.directory.client(str(client_id or ""))
    if client is None:
        raise OAuthError(401, "invalid_client", "Invalid client or Invalid client credentials")
    if client.public:
        return client
    if not secret or not hmac.compare_digest(str(secret).encode(), (client.secret or "").encode()):
        raise OAuthError(401, "invalid_client", "Invalid client or Invalid client credentials")
    return client


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _user_tokens(state: IssuerState, user: DevUser, client: DevClient, grant: Grant) -> dict:
    access = dev_tokens.user_access_claims(
        state.issuer,
        user,
        client_id=client.client_id,
        scope=grant.scope,
        sid=grant.sid,
        audience=state.audience,
    )
    refresh = secrets.token_urlsafe(32)
    with state.lock:
        state.refresh_tokens[refresh] = Grant(
            user.username, client.client_id, grant.scope, grant.sid, time.time() + REFRESH_SECONDS
        )
    body = {
        "access_token": state.keys.sign(access),
        "expires_in": dev_tokens.ACCESS_TOKEN_SECONDS,
        "refresh_expires_in": REFRESH_SECONDS,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "session_state": grant.sid,
        "scope": grant.scope,
    }
    if "openid" in grant.scope.split():
        body["id_token"] = state.keys.sign(
            dev_tokens.id_token_claims(access, client_id=client.client_id, nonce=grant.nonce)
        )
    return body


def _password_grant(state: IssuerState, client: DevClient, form: dict) -> dict:
    user = state.check_password(str(form.get("username", "")), str(form.get("password", "")))
    if user is None:
        raise OAuthError(401, "invalid_grant", "Invalid user credentials")
    grant = Grant(
        user.username, client.client_id, str(form.get("scope") or "openid profile"), secrets.token_hex(16), 0
    )
    return _user_tokens(state, user, client, grant)


def _code_grant(state: IssuerState, client: DevClient, form: dict) -> dict:
    grant = state.take(state.codes, str(form.get("code", "")))
    if grant is None or grant.client_id != client.client_id:
        raise OAuthError(400, "invalid_grant", "Code not valid")
    if grant.redirect_uri != form.get("redirect_uri"):
        raise OAuthError(400, "invalid_grant", "Incorrect redirect_uri")
    verifier = str(form.get("code_verifier", ""))
    if not verifier or not hmac.compare_digest(_s256(verifier), grant.code_challenge):
        raise OAuthError(400, "invalid_grant", "PKCE verification failed: Invalid code verifier")
    user = state.directory.user(grant.username)
    if user is None:
        raise OAuthError(400, "invalid_grant", "User not found")
    return _user_tokens(state, user, client, grant)


def _refresh_grant(state: IssuerState, client: DevClient, form: dict) -> dict:
    grant = state.take(state.refresh_tokens, str(form.get("refresh_token", "")))
    if grant is None or grant.client_id != client.client_id:
        raise OAuthError(400, "invalid_grant", "Invalid refresh token")
    user = state.directory.user(grant.username)
    if user is None:
        raise OAuthError(400, "invalid_grant", "User not found")
    return _user_tokens(state, user, client, grant)


def _client_credentials(state: IssuerState, client: DevClient, form: dict) -> dict:
    if not client.service_account:
        raise OAuthError(401, "unauthorized_client", "Client not enabled to retrieve service account")
    claims = dev_tokens.client_access_claims(state.issuer, client, audience=state.audience)
    return {
        "access_token": state.keys.sign(claims),
        "expires_in": dev_tokens.ACCESS_TOKEN_SECONDS,
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "scope": claims["scope"],
    }


GRANTS = {
    "password": _password_grant,
    "authorization_code": _code_grant,
    "refresh_token": _refresh_grant,
    "client_credentials": _client_credentials,
}


def token_response(state: IssuerState, client: DevClient, form: dict) -> dict:
    handler = GRANTS.get(str(form.get("grant_type", "")))
    if handler is None:
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type {form.get('grant_type')!r}")
    return handler(state, client, form)


@dataclass(frozen=True)
class AuthRequest:
    """A validated authorization request (``response_type=code`` with PKCE S256)."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str
    code_challenge: str
    nonce: str

    @classmethod
    def parse(cls, issuer: IssuerState, params: dict) -> AuthRequest:
        client = issuer.directory.client(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        # Never redirect to an unregistered URI: answer with an error page instead (RFC 6749 §4.1.2.1).
        if client is None or not client.allows_redirect(redirect_uri):
            raise OAuthError(400, "invalid_request", "Unknown client or invalid redirect_uri")
        if params.get("response_type") != "code":
            raise OAuthError(400, "unsupported_response_type", "Only response_type=code is supported")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
            raise OAuthError(
                400, "invalid_request", "Missing parameter: code_challenge_method=S256 and code_challenge"
            )
        return cls(
            client.client_id,
            redirect_uri,
            params.get("state", ""),
            params.get("scope") or "openid",
            challenge,
            params.get("nonce", ""),
        )

    def success_redirect(self, issuer: IssuerState, user: DevUser) -> str:
        sid = secrets.token_hex(16)
        grant = Grant(
            user.username,
            self.client_id,
            self.scope,
            sid,
            time.time() + CODE_SECONDS,
            self.redirect_uri,
            self.code_challenge,
            self.nonce or None,
        )
        query = {
            "state": self.state,
            "session_state": sid,
            "iss": issuer.issuer,
            "code": issuer.issue_code(grant),
        }
        separator = "&" if "?" in self.redirect_uri else "?"
        return f"{self.redirect_uri}{separator}{urlencode(query)}"

    def hidden_fields(self) -> str:
        fields = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "scope": self.scope,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
            "nonce": self.nonce,
            "response_type": "code",
        }
        return "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}">'
            for k, v in fields.items()
        )


def login_page(auth: AuthRequest, error: str | None = None) -> str:
    message = f'<p id="input-error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        "<!doctype html><html lang=zh-CN><head><meta charset=utf-8>"
        "<title>QCP 登录 / Sign in (development issuer)</title></head><body>"
        "<h1>QCP 登录 / Sign in</h1><p>开发签发者，仅限本机 / development issuer, loopback only</p>"
        f'{message}<form id="kc-form-login" method="post">{auth.hidden_fields()}'
        '<label for="username">用户名 / Username</label> '
        '<input id="username" name="username" autocomplete="username" autofocus required><br>'
        '<label for="password">密码 / Password</label> '
        '<input id="password" name="password" type="password" autocomplete="current-password" required><br>'
        '<button id="kc-login" type="submit">登录 / Sign in</button></form></body></html>'
    )
