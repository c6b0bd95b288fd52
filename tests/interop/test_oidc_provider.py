"""Interoperability: tokens from an independent certified OpenID provider, obtained with python-keycloak."""

from __future__ import annotations

import httpx
import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError

from platform_api.app import create_app
from services.core.db import Database
from tests.auth.support import UNUSED_DATABASE_URL, api_settings_for, serve
from tests.interop.conftest import AUDIENCE


@pytest.fixture(scope="module")
def api(oidc_provider):
    # The app factory builds its verifier from settings alone: the accepted audience is configuration.
    settings = api_settings_for(oidc_provider.base_url, api_audience=AUDIENCE)
    served = serve(create_app(database=Database.from_url(UNUSED_DATABASE_URL), settings=settings))
    yield served
    served.stop()


def _client_token(provider, client: dict) -> str:
    oidc = KeycloakOpenID(
        server_url=provider.base_url,
        realm_name="qcp",
        client_id=client["client_id"],
        client_secret_key=client["client_secret"],
    )
    return oidc.token(grant_type="client_credentials")["access_token"]


@pytest.mark.parametrize("index", [0, 1])
def test_hospital_system_token_from_oidc_provider_is_accepted(oidc_provider, api, index):
    client = oidc_provider.clients[index]
    token = _client_token(oidc_provider, client)
    response = httpx.get(api.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["roles"] == ["hospital_system"]
    assert (me["province"], me["hospital_id"], me["client_id"]) == (
        client["province"],
        client["hospital_id"],
        client["client_id"],
    )


def test_api_expecting_keycloak_audience_rejects_the_provider_token(oidc_provider):
    settings = api_settings_for(oidc_provider.base_url)  # api_audience "qcp-api"
    served = serve(create_app(database=Database.from_url(UNUSED_DATABASE_URL), settings=settings))
    try:
        token = _client_token(oidc_provider, oidc_provider.clients[0])
        response = httpx.get(served.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert (response.status_code, response.json()["error"]) == (401, "wrong_audience")
    finally:
        served.stop()


def test_wrong_client_secret_gets_no_token(oidc_provider):
    client = {**oidc_provider.clients[0], "client_secret": "wrong-secret-wrong-secret-wrong-secret"}
    with pytest.raises(KeycloakAuthenticationError) as caught:
        _client_token(oidc_provider, client)
    assert "invalid_client" in str(caught.value)
