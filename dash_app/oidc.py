"""The dashboard as an OIDC client: authorization code + PKCE S256 against Keycloak's paths.

Production talks to Keycloak, the demo to the development issuer: same code, same paths.
python-keycloak does the back-channel calls (discovery, token, refresh, logout); the browser-facing
authorization URL is built here because python-keycloak does not URL-encode its parameters.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

SCOPE = "openid profile"


class LoginFailed(Exception):
    """The identity provider refused, or answered something we cannot trust."""


def new_verifier() -> str:
    return secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43–128


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_in: int


class OidcClient:
    def __init__(
        self, *, server_url: str, realm: str, client_id: str, client_secret: str | None, timeout: int = 10
    ) -> None:
        self.client_id = client_id
        self._oidc = KeycloakOpenID(
            server_url=server_url,
            realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            timeout=timeout,
        )
        self._endpoints: dict | None = None

    def _well_known(self) -> dict:
        if self._endpoints is None:
            try:
                self._endpoints = self._oidc.well_known()
            except (KeycloakError, OSError, ValueError) as exc:
                raise LoginFailed("身份提供者不可用 / the identity provider is unavailable") from exc
        return self._endpoints

    def authorization_url(self, *, redirect_uri: str, state: str, verifier: str) -> str:
        query = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        return f"{self._well_known()['authorization_endpoint']}?{urlencode(query)}"

    def exchange(self, *, code: str, redirect_uri: str, verifier: str) -> Tokens:
        return self._tokens(
            lambda: self._oidc.token(
                grant_type="authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=verifier
            )
        )

    def refresh(self, refresh_token: str) -> Tokens:
        return self._tokens(lambda: self._oidc.refresh_token(refresh_token))

    def logout(self, refresh_token: str | None) -> None:
        """End the provider's session too (best effort: the local session is gone either way)."""
        if not refresh_token:
            return
        try:
            self._oidc.logout(refresh_token)
        except (KeycloakError, OSError, ValueError):
            pass

    @staticmethod
    def _tokens(call) -> Tokens:  # noqa: ANN001
        try:
            body = call()
        except (KeycloakError, OSError, ValueError) as exc:
            raise LoginFailed("身份提供者拒绝了登录 / the identity provider refused the sign-in") from exc
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise LoginFailed("身份提供者的应答无效 / the identity provider's answer has no access token")
        return Tokens(body["access_token"], body.get("refresh_token"), int(body.get("expires_in") or 0))
