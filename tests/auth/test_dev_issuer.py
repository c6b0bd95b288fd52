"""The development issuer speaks Keycloak's OIDC paths: python-keycloak and plain HTTP as clients."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import stat
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from cryptography.fernet import Fernet
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from platform_api.auth.dev_directory import DevDirectory
from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings, UnsafeSettings
from tests.auth.support import FIXTURE_PASSWORD as DEMO_PASSWORD
from tests.auth.support import fixture_directory

DASHBOARD_SECRET = "qcp-dashboard-dev-secret"
REDIRECT = "http://127.0.0.1:8000/auth/callback"


def _oidc(dev_issuer, client_id="qcp-dashboard", secret=DASHBOARD_SECRET) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=dev_issuer.base_url, realm_name="qcp", client_id=client_id, client_secret_key=secret
    )


def _verify(dev_issuer, token: str) -> dict:
    return TokenVerifier(server_url=dev_issuer.base_url, realm="qcp").verify(token)


def test_discovery_points_at_keycloak_paths(dev_issuer):
    config = _oidc(dev_issuer).well_known()
    assert config["issuer"] == dev_issuer.issuer
    assert config["token_endpoint"] == dev_issuer.issuer + "/protocol/openid-connect/token"
    assert config["jwks_uri"] == dev_issuer.issuer + "/protocol/openid-connect/certs"
    assert config["code_challenge_methods_supported"] == ["S256"]


def test_certs_publish_a_signing_and_an_encryption_key(dev_issuer):
    keys = _oidc(dev_issuer).certs()["keys"]
    assert {(k["use"], k["alg"]) for k in keys} == {("sig", "RS256"), ("enc", "RSA-OAEP")}
    assert all(k["kid"] and "d" not in k for k in keys), "only public keys are published"


def test_realm_endpoint_returns_the_public_key(dev_issuer):
    assert _oidc(dev_issuer).public_key() == dev_issuer.keys.public_key_b64()


def test_unknown_realm_is_404(dev_issuer):
    assert httpx.get(dev_issuer.base_url + "realms/master/protocol/openid-connect/certs").status_code == 404


def test_password_grant_for_a_demo_user(dev_issuer):
    tokens = _oidc(dev_issuer).token("gd-admin", DEMO_PASSWORD)
    claims = _verify(dev_issuer, tokens["access_token"])
    assert claims["realm_access"]["roles"][0] == "provincial_admin"
    assert (claims["province"], claims["azp"], claims["aud"]) == ("440000", "qcp-dashboard", ["qcp-api"])
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"] and tokens["id_token"]


def test_password_grant_with_a_wrong_password_fails(dev_issuer):
    with pytest.raises(KeycloakAuthenticationError) as caught:
        _oidc(dev_issuer).token("gd-admin", "wrong")
    assert caught.value.response_code == 401


def test_client_credentials_for_a_hospital_system(dev_issuer):
    tokens = _oidc(dev_issuer, "hosp-330000-1", "hosp-330000-1-dev-secret").token(
        grant_type="client_credentials"
    )
    claims = _verify(dev_issuer, tokens["access_token"])
    assert claims["preferred_username"] == "service-account-hosp-330000-1"
    assert (claims["azp"], claims["province"], claims["hospital_id"]) == ("hosp-330000-1", "330000", 1)
    assert "refresh_token" not in tokens


@pytest.mark.parametrize(
    ("client_id", "secret", "status", "error"),
    [
        ("hosp-330000-1", "wrong", 401, "invalid_client"),
        ("nobody", "x", 401, "invalid_client"),
        ("qcp-dashboard", DASHBOARD_SECRET, 401, "unauthorized_client"),  # no service account
    ],
)
def test_client_credentials_refusals(dev_issuer, client_id, secret, status, error):
    response = httpx.post(
        dev_issuer.issuer + "/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_client_secret_basic_is_accepted(dev_issuer):
    response = httpx.post(
        dev_issuer.issuer + "/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=("hosp-330000-1", "hosp-330000-1-dev-secret"),
    )
    assert response.status_code == 200, response.text


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _login(
    dev_issuer, challenge: str, password: str = DEMO_PASSWORD, redirect_uri: str = REDIRECT
) -> httpx.Response:
    params = {
        "client_id": "qcp-dashboard",
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with httpx.Client(follow_redirects=False) as client:
        page = client.get(dev_issuer.issuer + "/protocol/openid-connect/auth", params=params)
        assert page.status_code == 200 and 'name="password"' in page.text
        return client.post(
            page.url.copy_with(query=None),
            data={**params, "username": "zj-h1-submitter", "password": password},
        )


def _exchange(dev_issuer, code: str, verifier: str) -> httpx.Response:
    return httpx.post(
        dev_issuer.issuer + "/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": "qcp-dashboard",
            "client_secret": DASHBOARD_SECRET,
        },
    )


def test_authorization_code_with_pkce(dev_issuer):
    verifier, challenge = _pkce()
    redirect = _login(dev_issuer, challenge)
    assert redirect.status_code == 302
    location = urlparse(redirect.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT and query["state"] == ["st-1"]
    tokens = _exchange(dev_issuer, query["code"][0], verifier).json()
    assert _verify(dev_issuer, tokens["access_token"])["hospital_id"] == 1
    assert _oidc(dev_issuer).decode_token(tokens["id_token"], validate=False)["nonce"] == "n-1"
    again = _exchange(dev_issuer, query["code"][0], verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant"), "codes are single-use"


def test_authorization_code_with_a_wrong_verifier_fails(dev_issuer):
    _, challenge = _pkce()
    code = parse_qs(urlparse(_login(dev_issuer, challenge).headers["location"]).query)["code"][0]
    response = _exchange(dev_issuer, code, secrets.token_urlsafe(48))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_login_form_with_a_wrong_password_shows_an_error(dev_issuer):
    response = _login(dev_issuer, _pkce()[1], password="wrong")
    assert response.status_code == 200 and "invalid username or password" in response.text


def test_authorization_without_pkce_or_to_a_foreign_redirect_is_refused(dev_issuer):
    url = dev_issuer.issuer + "/protocol/openid-connect/auth"
    base = {"client_id": "qcp-dashboard", "response_type": "code", "redirect_uri": REDIRECT}
    assert httpx.get(url, params=base).status_code == 400
    foreign = {
        **base,
        "redirect_uri": "https://evil.example/cb",
        "code_challenge": _pkce()[1],
        "code_challenge_method": "S256",
    }
    response = httpx.get(url, params=foreign)
    assert response.status_code == 400 and "location" not in response.headers


def test_refresh_rotates_and_logout_revokes(dev_issuer):
    oidc = _oidc(dev_issuer)
    first = oidc.token("zj-analyst", DEMO_PASSWORD)
    second = oidc.refresh_token(first["refresh_token"])
    assert _verify(dev_issuer, second["access_token"])["preferred_username"] == "zj-analyst"
    with pytest.raises(KeycloakPostError):
        oidc.refresh_token(first["refresh_token"])
    oidc.logout(second["refresh_token"])
    with pytest.raises(KeycloakPostError):
        oidc.refresh_token(second["refresh_token"])


def test_userinfo_returns_the_scope_claims(dev_issuer):
    oidc = _oidc(dev_issuer)
    info = oidc.userinfo(oidc.token("zj-icu-qc", DEMO_PASSWORD)["access_token"])
    assert (info["preferred_username"], info["province"], info["specialty"]) == ("zj-icu-qc", "330000", "icu")
    assert httpx.get(dev_issuer.issuer + "/protocol/openid-connect/userinfo").status_code == 401


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com"])
def test_refuses_non_loopback_addresses(host):
    with pytest.raises(UnsafeSettings):
        start_dev_issuer(DevDirectory(), host, 0)


def test_signing_key_can_be_persisted(tmp_path):
    path = tmp_path / "keys" / "dev-signing.pem"
    with start_dev_issuer(DevDirectory(), key_path=path) as first:
        kid = first.keys.kid
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with start_dev_issuer(fixture_directory(), key_path=path) as second:
        assert second.keys.kid == kid
        assert _verify(second, second.user_token("nat-admin"))["sub"]


def test_settings_refuse_the_dev_issuer_in_production():
    with pytest.raises(UnsafeSettings):
        ApiSettings(
            environment="production",
            dev_issuer=True,
            keycloak_url="https://sso.example.cn/",
            session_secret="s" * 40,
        )


def test_settings_refuse_production_without_keycloak():
    secret = secrets.token_hex(
        32
    )  # as `openssl rand -hex 32`; a literal would be a value shipped in the repository: refused
    with pytest.raises(UnsafeSettings, match="QCP_KEYCLOAK_URL"):
        ApiSettings(environment="production", keycloak_url=None, session_secret=secret)
    assert ApiSettings(
        environment="production",
        keycloak_url="https://sso.example.cn/",
        session_secret=secret,
        session_encryption_keys=Fernet.generate_key().decode(),
        rate_limit_storage_url="redis://127.0.0.1:6379/0",
    )


def test_settings_refuse_a_non_loopback_dev_issuer():
    with pytest.raises(UnsafeSettings):
        ApiSettings(environment="development", dev_issuer=True, dev_issuer_host="0.0.0.0")
