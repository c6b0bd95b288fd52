"""TokenVerifier against the development issuer's JWKS (fetched through python-keycloak)."""

from __future__ import annotations

import time

import pytest

from platform_api.auth.dev_tokens import DevKeys, user_access_claims
from platform_api.auth.verify import InvalidToken, TokenVerifier
from tests.auth.support import api_settings_for


def _verifier(dev_issuer, **options) -> TokenVerifier:
    return TokenVerifier(server_url=dev_issuer.base_url, realm="qcp", **options)


def _claims(dev_issuer, **overrides) -> dict:
    user = dev_issuer.state.directory.user("zj-admin")
    return {**user_access_claims(dev_issuer.issuer, user, client_id="qcp-dashboard"), **overrides}


def _code(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        verifier.verify(token)
    return caught.value.code


def test_good_token_verifies_and_returns_its_claims(dev_issuer):
    claims = _verifier(dev_issuer).verify(dev_issuer.user_token("zj-admin"))
    assert claims["preferred_username"] == "zj-admin"
    assert claims["iss"] == dev_issuer.issuer


def test_expiry_is_enforced_despite_check_claims(dev_issuer):
    # The NOTES.md trap: check_claims without "exp": None would let this through.
    now = int(time.time())
    token = dev_issuer.sign(_claims(dev_issuer, iat=now - 300, exp=now - 61))
    assert _code(_verifier(dev_issuer), token) == "expired"


def test_expiry_within_leeway_is_tolerated(dev_issuer):
    now = int(time.time())
    token = dev_issuer.sign(_claims(dev_issuer, iat=now - 300, exp=now - 30))
    assert _verifier(dev_issuer).verify(token)["exp"] == now - 30
    assert _code(_verifier(dev_issuer, leeway=0), token) == "expired"


def test_nbf_within_leeway_is_tolerated_beyond_is_not(dev_issuer):
    now = int(time.time())
    assert _verifier(dev_issuer).verify(dev_issuer.sign(_claims(dev_issuer, nbf=now + 30)))
    assert (
        _code(_verifier(dev_issuer), dev_issuer.sign(_claims(dev_issuer, nbf=now + 120))) == "not_yet_valid"
    )


def test_expiry_before_issue_is_malformed(dev_issuer):
    now = int(time.time())
    assert _code(_verifier(dev_issuer), dev_issuer.sign(_claims(dev_issuer, iat=now, exp=now))) == "malformed"


def test_non_numeric_times_are_malformed(dev_issuer):
    assert _code(_verifier(dev_issuer), dev_issuer.sign(_claims(dev_issuer, nbf="soon"))) == "malformed"


def test_jwks_is_cached_between_verifications(dev_issuer):
    verifier = _verifier(dev_issuer)
    for _ in range(3):
        verifier.verify(dev_issuer.user_token("zj-admin"))
    assert verifier.fetch_count == 1


def test_unknown_kid_refetch_is_rate_limited(dev_issuer):
    verifier = _verifier(dev_issuer, refetch_interval=3600)
    verifier.verify(dev_issuer.user_token("zj-admin"))
    for kid in ("a", "b", "c"):
        assert _code(verifier, dev_issuer.sign(_claims(dev_issuer), header={"kid": kid})) == "unknown_key"
    assert verifier.fetch_count == 1


def test_rotated_signing_key_is_picked_up_by_one_refetch(dev_issuer):
    verifier = _verifier(dev_issuer, refetch_interval=0)
    verifier.verify(dev_issuer.user_token("zj-admin"))
    old_keys = dev_issuer.state.keys
    dev_issuer.state.keys = DevKeys()
    try:
        assert verifier.verify(dev_issuer.user_token("zj-admin"))["preferred_username"] == "zj-admin"
        assert verifier.fetch_count == 2
    finally:
        dev_issuer.state.keys = old_keys


def test_missing_kid_is_malformed(dev_issuer):
    token = dev_issuer.sign(_claims(dev_issuer), header={"kid": None})
    assert _code(_verifier(dev_issuer), token) == "malformed"


def test_trusted_azp_is_accepted_without_the_audience(dev_issuer):
    token = dev_issuer.sign(_claims(dev_issuer, aud="account"))
    assert _code(_verifier(dev_issuer), token) == "wrong_audience"
    assert _verifier(dev_issuer, trusted_clients=["qcp-dashboard"]).verify(token)["azp"] == "qcp-dashboard"


def test_audience_is_configurable(dev_issuer):
    token = dev_issuer.sign(_claims(dev_issuer, aud="urn:qcp-api"))
    assert _code(_verifier(dev_issuer), token) == "wrong_audience"
    assert _verifier(dev_issuer, audiences=["urn:qcp-api"]).verify(token)["aud"] == "urn:qcp-api"


def test_empty_token_is_missing(dev_issuer):
    assert _code(_verifier(dev_issuer), "") == "missing"


def test_unreachable_issuer_is_reported_as_such():
    verifier = TokenVerifier(server_url="http://127.0.0.1:9/", realm="qcp", timeout=2)
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln"
    assert _code(verifier, token) == "issuer_unavailable"


def test_from_settings_uses_the_configured_issuer_and_audience(dev_issuer):
    settings = api_settings_for(
        dev_issuer.base_url.rstrip("/"), api_audience="urn:qcp-api", token_trusted_clients=["x"]
    )
    verifier = TokenVerifier.from_settings(settings)
    assert verifier.issuer == dev_issuer.issuer
    assert verifier.audiences == {"urn:qcp-api"} and verifier.trusted_clients == {"x"}


def test_token_issuer_setting_overrides_the_expected_issuer(dev_issuer):
    settings = api_settings_for(dev_issuer.base_url, token_issuer="https://sso.example.cn/realms/qcp")
    verifier = TokenVerifier.from_settings(settings)
    assert _code(verifier, dev_issuer.user_token("zj-admin")) == "wrong_issuer"
    token = dev_issuer.sign(_claims(dev_issuer, iss="https://sso.example.cn/realms/qcp"))
    assert verifier.verify(token)["iss"] == "https://sso.example.cn/realms/qcp"


def test_app_factory_builds_its_verifier_from_settings(dev_issuer):
    from platform_api.app import create_app
    from services.core.db import Database
    from tests.auth.support import UNUSED_DATABASE_URL

    settings = api_settings_for(dev_issuer.base_url, api_audience="urn:qcp-api")
    app = create_app(database=Database.from_url(UNUSED_DATABASE_URL), settings=settings)
    assert isinstance(app.state.verifier, TokenVerifier)
    assert (app.state.verifier.issuer, app.state.verifier.audiences) == (dev_issuer.issuer, {"urn:qcp-api"})
