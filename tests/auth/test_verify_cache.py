"""TokenVerifier's cache of verified tokens: keyed by the exact token, never past the token's exp,
emptied when the JWKS is fetched again, and bounded."""

from __future__ import annotations

import time

import pytest

from platform_api.auth.dev_tokens import DevKeys, user_access_claims
from platform_api.auth.verify import InvalidToken, TokenVerifier


def _verifier(dev_issuer, **options) -> TokenVerifier:
    return TokenVerifier(server_url=dev_issuer.base_url, realm="qcp", **options)


def _token(dev_issuer, username: str = "zj-admin", **overrides) -> str:
    user = dev_issuer.state.directory.user(username)
    return dev_issuer.sign(
        {**user_access_claims(dev_issuer.issuer, user, client_id="qcp-dashboard"), **overrides}
    )


def _counting(verifier: TokenVerifier) -> list[str]:
    calls: list[str] = []
    full = verifier._verify

    def counted(token: str) -> dict:
        calls.append(token)
        return full(token)

    verifier._verify = counted  # type: ignore[method-assign]
    return calls


def test_a_token_is_verified_once_then_served_from_the_cache(dev_issuer):
    verifier = _verifier(dev_issuer)
    calls = _counting(verifier)
    token = _token(dev_issuer)
    first = verifier.verify(token)
    first["preferred_username"] = "changed by a caller"
    assert verifier.verify(token)["preferred_username"] == "zj-admin"  # a copy each time
    assert len(calls) == 1


def test_the_cache_never_outlives_the_tokens_exp(dev_issuer):
    verifier = _verifier(dev_issuer, leeway=0)
    calls = _counting(verifier)
    now = int(time.time())
    token = _token(dev_issuer, iat=now - 10, exp=now + 1)
    assert verifier.verify(token)["exp"] == now + 1
    while time.time() < now + 1.05:  # wait until the token has expired (not a timing assertion)
        time.sleep(0.1)
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(token)
    assert refused.value.code == "expired"
    assert len(calls) == 2  # verified again, not answered from the cache


def test_a_token_already_expired_within_leeway_is_not_cached(dev_issuer):
    verifier = _verifier(dev_issuer)  # 60 s leeway: accepted, but its exp has passed
    calls = _counting(verifier)
    now = int(time.time())
    token = _token(dev_issuer, iat=now - 300, exp=now - 30)
    verifier.verify(token)
    verifier.verify(token)
    assert len(calls) == 2


def test_the_key_is_the_exact_token_so_tenants_never_share_an_entry(dev_issuer):
    verifier = _verifier(dev_issuer)
    zj, gd = _token(dev_issuer, "zj-admin"), _token(dev_issuer, "gd-admin")
    assert verifier.verify(zj)["province"] == "330000"
    assert verifier.verify(gd)["province"] == "440000"
    assert verifier.verify(zj)["province"] == "330000"
    tampered = zj[:-4] + ("AAAA" if not zj.endswith("AAAA") else "BBBB")  # same claims, forged signature
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(tampered)
    assert refused.value.code == "bad_signature"


def test_a_refetched_jwks_empties_the_cache(dev_issuer):
    verifier = _verifier(dev_issuer, refetch_interval=0)
    calls = _counting(verifier)
    token = _token(dev_issuer)
    verifier.verify(token)
    old_keys = dev_issuer.state.keys
    dev_issuer.state.keys = DevKeys()  # the realm rotated its key: old tokens no longer verify
    try:
        verifier.verify(_token(dev_issuer))  # unknown kid: one refetch, which drops the cached entry
        assert verifier.fetch_count == 2
        with pytest.raises(InvalidToken):
            verifier.verify(token)
    finally:
        dev_issuer.state.keys = old_keys
    assert len(calls) == 3


def test_the_cache_is_bounded(dev_issuer):
    verifier = _verifier(dev_issuer, cache_size=2)
    calls = _counting(verifier)
    tokens = [_token(dev_issuer, jti=f"t{i}") for i in range(3)]
    for token in tokens:
        verifier.verify(token)
    verifier.verify(tokens[0])  # the oldest was evicted
    assert len(calls) == 4
