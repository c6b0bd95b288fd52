"""TokenVerifier against the development issuer's JWKS (fetched through python-keycloak)."""

from __future__ import annotations

import time

import pytest

from platform_api.auth.dev_tokens import DevKeys, user_access_claims
from platform_api.auth.verify import InvalidToken, TokenVerifier
from tests.auth.support import api_settings_for


def _verifier(issuer, **options) -> TokenVerifier:
    return TokenVerifier(server_url=issuer.base_url, realm="qcp", **options)


def _claims(issuer, **overrides) -> dict:
    user = issuer.state.directory.user("zj-admin")
    return {**user_access_claims(issuer.issuer, user, client_id="qcp-dashboard"), **overrides}


def _code(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        verifier.verify(token)
    return caught.value.code


def test_good_token_verifies_and_returns_its_claims(issuer):
    claims = _verifier(issuer).verify(issuer.user_token("zj-admin"))
    assert claims["preferred_username"] == "zj-admin"
    assert claims["iss"] == issuer.issuer


def test_expiry_is_enforced_despite_check_claims(issuer):
    # The NOTES.md trap: check_claims without "exp": None would let this through.
    now = int(time.time())
    token = issuer.sign(_claims(issuer, iat=now - 300, exp=now - 61))
    assert _code(_verifier(issuer), token) == "expired"


def test_expiry_within_leeway_is_tolerated(issuer):
    now = int(time.time())
    token = issuer.sign(_claims(issuer, iat=now - 300, exp=now - 30))
    assert _verifier(issuer).verify(token)["exp"] == now - 30
    assert _code(_verifier(issuer, leeway=0), token) == "expired"


def test_nbf_within_leeway_is_tolerated_beyond_is_not(issuer):
    now = int(time.time())
    assert _verifier(issuer).verify(issuer.sign(_claims(issuer, nbf=now + 30)))
    assert _code(_verifier(issuer), issuer.sign(_claims(issuer, nbf=now + 120))) == "not_yet_valid"


def test_expiry_before_issue_is_malformed(issuer):
    now = int(time.time())
    assert _code(_verifier(issuer), issuer.sign(_claims(issuer, iat=now, exp=now))) == "malformed"


def test_non_numeric_times_are_malformed(issuer):
    assert _code(_verifier(issuer), issuer.sign(_claims(issuer, nbf="soon"))) == "malformed"


def test_jwks_is_cached_between_verifications(issuer):
    verifier = _verifier(issuer)
    for _ in range(3):
        verifier.verify(issuer.user_token("zj-admin"))
    assert verifier.fetch_count == 1


def test_unknown_kid_refetch_is_rate_limited(issuer):
    verifier = _verifier(issuer, refetch_interval=3600)
    verifier.verify(issuer.user_token("zj-admin"))
    for kid in ("a", "b", "c"):
        assert _code(verifier, issuer.sign(_claims(issuer), header={"kid": kid})) == "unknown_key"
    assert verifier.fetch_count == 1


def test_rotated_signing_key_is_picked_up_by_one_refetch(issuer):
    verifier = _verifier(issuer, refetch_interval=0)
    verifier.verify(issuer.user_token("zj-admin"))
    old_keys = issuer.state.keys
    issuer.state.keys = DevKeys()
    try:
        assert verifier.verify(issuer.user_token("zj-admin"))["preferred_username"] == "zj-admin"
        assert verifier.fetch_count == 2
    finally:
        issuer.state.keys = old_keys


def test_missing_kid_is_malformed(issuer):
    token = issuer.sign(_claims(issuer), header={"kid": None})
    assert _code(_verifier(issuer), token) == "malformed"


def test_trusted_azp_is_accepted_without_the_audience(issuer):
    token = issuer.sign(_claims(issuer, aud="account"))
    assert _code(_verifier(issuer), token) == "wrong_audience"
    assert _verifier(issuer, trusted_clients=["qcp-dashboard"]).verify(token)["azp"] == "qcp-dashboard"


def test_audience_is_configurable(issuer):
    token = issuer.sign(_claims(issuer, aud="urn:qcp-api"))
    assert _code(_verifier(issuer), token) == "wrong_audience"
    assert _verifier(issuer, audiences=["urn:qcp-api"]).verify(token)["aud"] == "urn:qcp-api"


def test_empty_token_is_missing(issuer):
    assert _code(_verifier(issuer), "") == "missing"


def test_unreachable_issuer_is_reported_as_such():
    verifier = TokenVerifier(server_url="http://127.0.0.1:9/", realm="qcp", timeout=2)
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln"
    assert _code(verifier, token) == "issuer_unavailable"


def test_from_settings_uses_the_configured_issuer_and_audience(issuer):
    settings = api_settings_for(issuer.base_url.rstrip("/"), api_audience="urn:qcp-api", token_trusted_clients=["x"])
    verifier = TokenVerifier.from_settings(settings)
    assert verifier.issuer == issuer.issuer
    assert verifier.audiences == {"urn:qcp-api"} and verifier.trusted_clients == {"x"}


def test_token_issuer_setting_overrides_the_expected_issuer(issuer):
    settings = api_settings_for(issuer.base_url, token_issuer="https://sso.example.cn/realms/qcp")
    verifier = TokenVerifier.from_settings(settings)
    assert _code(verifier, issuer.user_token("zj-admin")) == "wrong_issuer"
    token = issuer.sign(_claims(issuer, iss="https://sso.example.cn/realms/qcp"))
    assert verifier.verify(token)["iss"] == "https://sso.example.cn/realms/qcp"
