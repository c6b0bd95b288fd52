"""Token attacks against the real API over HTTP: every one is a 401 with a clear error and no data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest
from jwcrypto import jwk, jwt

from platform_api.auth.dev_tokens import user_access_claims

ME = "/api/v1/me"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict, claims: dict) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def _claims(dev_issuer, username="zj-admin", **overrides) -> dict:
    claims = user_access_claims(
        dev_issuer.issuer, dev_issuer.state.directory.user(username), client_id="qcp-dashboard"
    )
    claims.update(overrides)
    return claims


def _call(me_api, token: str | None = None, header: str | None = None) -> httpx.Response:
    headers = {}
    if header is not None:
        headers["Authorization"] = header
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.get(me_api.base_url + ME, headers=headers, timeout=10)


def assert_rejected(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == code, body
    assert set(body) == {"error", "detail"}, "a rejected request must carry no data"
    assert " / " in body["detail"], "messages are Chinese / English"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer")
    if code != "missing":
        assert 'error="invalid_token"' in challenge and code in challenge


def test_missing_token_is_rejected_without_error_code(me_api):
    response = _call(me_api)
    assert_rejected(response, "missing")
    assert "error=" not in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "bearer\tx", "Bearer a b", "Bearer abc", "Bearer a.b", "Bearer !!!.x.y"],
)
def test_malformed_authorization_is_rejected(me_api, header):
    assert_rejected(_call(me_api, header=header), "malformed")


def test_expired_token_is_rejected(me_api, dev_issuer):
    now = int(time.time())
    token = dev_issuer.sign(_claims(dev_issuer, iat=now - 3600, exp=now - 600))
    assert_rejected(_call(me_api, token), "expired")


def test_token_without_exp_is_rejected(me_api, dev_issuer):
    claims = _claims(dev_issuer)
    del claims["exp"]
    assert_rejected(_call(me_api, dev_issuer.sign(claims)), "malformed")


def test_token_not_yet_valid_is_rejected(me_api, dev_issuer):
    token = dev_issuer.sign(_claims(dev_issuer, nbf=int(time.time()) + 3600))
    assert_rejected(_call(me_api, token), "not_yet_valid")


def test_token_issued_in_the_future_is_rejected(me_api, dev_issuer):
    now = int(time.time())
    token = dev_issuer.sign(_claims(dev_issuer, iat=now + 3600, exp=now + 4000))
    assert_rejected(_call(me_api, token), "not_yet_valid")


def test_wrong_issuer_is_rejected(me_api, dev_issuer):
    token = dev_issuer.sign(_claims(dev_issuer, iss="http://127.0.0.1:1/realms/qcp"))
    assert_rejected(_call(me_api, token), "wrong_issuer")


def test_other_realm_of_same_server_is_rejected(me_api, dev_issuer):
    token = dev_issuer.sign(_claims(dev_issuer, iss=dev_issuer.base_url + "realms/master"))
    assert_rejected(_call(me_api, token), "wrong_issuer")


@pytest.mark.parametrize("aud", [["account"], "qcp-dashboard", [], None])
def test_wrong_audience_is_rejected(me_api, dev_issuer, aud):
    token = dev_issuer.sign(_claims(dev_issuer, aud=aud))
    assert_rejected(_call(me_api, token), "wrong_audience")


def test_id_token_is_not_an_access_token(me_api, dev_issuer):
    token = dev_issuer.sign(_claims(dev_issuer, typ="ID"))
    assert_rejected(_call(me_api, token), "wrong_token_type")


def test_tampered_payload_is_rejected(me_api, dev_issuer):
    good = dev_issuer.user_token("zj-h1-viewer")
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["realm_access"]["roles"] = ["national_admin"]
    claims.pop("province"), claims.pop("hospital_id")
    forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert_rejected(_call(me_api, forged), "bad_signature")


def test_foreign_key_with_the_realm_kid_is_rejected(me_api, dev_issuer):
    foreign = jwk.JWK.generate(kty="RSA", size=2048)
    token = jwt.JWT(header={"alg": "RS256", "kid": dev_issuer.keys.kid}, claims=_claims(dev_issuer))
    token.make_signed_token(foreign)
    assert_rejected(_call(me_api, token.serialize()), "bad_signature")


def test_foreign_key_with_its_own_kid_is_unknown(me_api, dev_issuer):
    foreign = jwk.JWK.generate(kty="RSA", size=2048, kid="attacker-key")
    token = jwt.JWT(header={"alg": "RS256", "kid": "attacker-key"}, claims=_claims(dev_issuer))
    token.make_signed_token(foreign)
    assert_rejected(_call(me_api, token.serialize()), "unknown_key")


def test_unknown_kid_refetches_jwks_exactly_once(me_api, dev_issuer):
    assert _call(me_api, dev_issuer.user_token("zj-admin")).status_code == 200  # JWKS now cached
    before = dev_issuer.state.certs_requests
    token = dev_issuer.sign(_claims(dev_issuer), header={"kid": "rotated-away"})
    assert_rejected(_call(me_api, token), "unknown_key")
    assert dev_issuer.state.certs_requests == before + 1


def test_encryption_key_cannot_sign(me_api, dev_issuer):
    enc = dev_issuer.keys.encryption.export(private_key=True, as_dict=True)
    assert enc.pop("use") == "enc"
    token = jwt.JWT(header={"alg": "RS256", "kid": enc["kid"]}, claims=_claims(dev_issuer))
    token.make_signed_token(jwk.JWK(**enc))
    assert_rejected(_call(me_api, token.serialize()), "unknown_key")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_rejected(me_api, dev_issuer, alg):
    token = _segments({"alg": alg, "typ": "JWT", "kid": dev_issuer.keys.kid}, _claims(dev_issuer)) + "."
    assert_rejected(_call(me_api, token), "bad_signature")


def test_hs256_signed_with_the_public_key_is_rejected(me_api, dev_issuer):
    secret = dev_issuer.keys.signing.export_to_pem(private_key=False)
    signing_input = _segments({"alg": "HS256", "typ": "JWT", "kid": dev_issuer.keys.kid}, _claims(dev_issuer))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert_rejected(_call(me_api, f"{signing_input}.{_b64(mac)}"), "bad_signature")


@pytest.mark.parametrize("alg", ["RS512", "PS256", "ES256", "HS512"])
def test_other_algorithms_are_rejected(me_api, dev_issuer, alg):
    token = dev_issuer.sign(_claims(dev_issuer)).split(".")
    header = _b64(json.dumps({"alg": alg, "kid": dev_issuer.keys.kid}).encode())
    assert_rejected(_call(me_api, f"{header}.{token[1]}.{token[2]}"), "bad_signature")


def test_opaque_refresh_token_is_not_a_bearer_token(me_api, dev_issuer):
    response = httpx.post(
        dev_issuer.issuer + "/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "qcp-dashboard",
            "client_secret": "qcp-dashboard-dev-secret",
            "username": "zj-admin",
            "password": "qcp-demo",
        },
    )
    assert_rejected(_call(me_api, response.json()["refresh_token"]), "malformed")


def test_inconsistent_claims_are_rejected(me_api, dev_issuer):
    claims = _claims(dev_issuer, "zj-h1-submitter")
    del claims["hospital_id"]
    assert_rejected(_call(me_api, dev_issuer.sign(claims)), "bad_claims")


EXPECTED = {
    "nat-admin": (["national_admin"], None, None, None),
    "nat-analyst": (["national_analyst"], None, None, None),
    "zj-admin": (["provincial_admin"], "330000", None, None),
    "gd-admin": (["provincial_admin"], "440000", None, None),
    "zj-analyst": (["provincial_analyst"], "330000", None, None),
    "zj-icu-qc": (["specialty_qc"], "330000", None, "icu"),
    "nat-icu-qc": (["specialty_qc"], None, None, "icu"),
    "zj-h1-submitter": (["hospital_submitter"], "330000", 1, None),
    "zj-h1-viewer": (["hospital_viewer"], "330000", 1, None),
    "sc-h1-submitter": (["hospital_submitter"], "510000", 201, None),
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_good_token_of_each_role_is_accepted(me_api, dev_issuer, username):
    response = _call(me_api, dev_issuer.user_token(username))
    assert response.status_code == 200, response.text
    body = response.json()
    roles, province, hospital_id, specialty = EXPECTED[username]
    assert (body["roles"], body["province"], body["hospital_id"], body["specialty"]) == (
        roles,
        province,
        hospital_id,
        specialty,
    )
    assert body["client_id"] == "qcp-dashboard"


def test_hospital_system_token_is_accepted(me_api, dev_issuer):
    response = _call(me_api, dev_issuer.client_token("hosp-330000-1"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["roles"] == ["hospital_system"]
    assert (body["province"], body["hospital_id"], body["client_id"]) == ("330000", 1, "hosp-330000-1")
