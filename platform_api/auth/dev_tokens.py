"""Keys and token minting of the development issuer, with Keycloak's claim shapes."""

from __future__ import annotations

import base64
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk, jwt

from platform_api.auth.dev_directory import DevClient, DevUser

ACCESS_TOKEN_SECONDS = 300
_SUBJECT_NS = uuid.UUID("6f1c1d1e-5b7a-4f0e-9d55-3f4a8e2c7b10")


def _generate_rsa(use: str) -> jwk.JWK:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    return jwk.JWK(**{**key.export(private_key=True, as_dict=True), "kid": key.thumbprint(), "use": use})


def _load_or_create(path: Path) -> jwk.JWK:
    if path.exists():
        key = jwk.JWK.from_pem(path.read_bytes())
        return jwk.JWK(
            **{**key.export(private_key=True, as_dict=True), "kid": key.thumbprint(), "use": "sig"}
        )
    key = _generate_rsa("sig")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_to_pem(private_key=True, password=None))
    return key


class DevKeys:
    """An RS256 signing key (optionally persisted as PEM) and, like Keycloak, an unused ``enc`` key."""

    def __init__(self, key_path: str | Path | None = None) -> None:
        self.signing = _load_or_create(Path(key_path)) if key_path else _generate_rsa("sig")
        self.encryption = _generate_rsa("enc")

    @property
    def kid(self) -> str:
        return self.signing["kid"]

    def jwks(self) -> dict:
        keys = []
        for key, alg in ((self.signing, "RS256"), (self.encryption, "RSA-OAEP")):
            public = key.export_public(as_dict=True)
            keys.append({**public, "alg": alg, "use": key["use"]})
        return {"keys": keys}

    def public_key_b64(self) -> str:
        """The signing key as base64 DER SubjectPublicKeyInfo (Keycloak's ``public_key`` field)."""
        pem = self.signing.export_to_pem(private_key=False)
        der = serialization.load_pem_public_key(pem).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def sign(self, claims: dict, header: dict | None = None) -> str:
        token = jwt.JWT(
            header={"alg": "RS256", "typ": "JWT", "kid": self.kid, **(header or {})}, claims=claims
        )
        token.make_signed_token(self.signing)
        return token.serialize()

    def verify(self, token: str, issuer: str) -> dict:
        """The issuer's own check (userinfo): signature, expiry and issuer."""
        parsed = jwt.JWT(
            jwt=token,
            key=self.signing,
            algs=["RS256"],
            check_claims={"exp": None, "iss": issuer},
            expected_type="JWS",
        )
        return jwt.json_decode(parsed.claims)


def subject_of(name: str) -> str:
    """A stable UUID subject per username / client, as Keycloak's user ids are UUIDs."""
    return str(uuid.uuid5(_SUBJECT_NS, name))


def _base_claims(issuer: str, *, azp: str, scope: str, audience: list[str], lifetime: int) -> dict:
    now = int(time.time())
    return {
        "exp": now + lifetime,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "aud": audience,
        "typ": "Bearer",
        "azp": azp,
        "acr": "1",
        "scope": scope,
    }


def _scope_claims(
    roles: tuple[str, ...],
    province: str | None,
    hospital_id: int | None,
    qc_center_id: int | None = None,
    specialty: str | None = None,
) -> dict[str, Any]:
    claims: dict[str, Any] = {"realm_access": {"roles": [*roles, "default-roles-qcp", "offline_access"]}}
    for name, value in (
        ("province", province),
        ("hospital_id", hospital_id),
        ("qc_center_id", qc_center_id),
        ("specialty", specialty),
    ):
        if value is not None:
            claims[name] = value
    return claims


def user_access_claims(
    issuer: str,
    user: DevUser,
    *,
    client_id: str,
    scope: str = "openid profile",
    sid: str | None = None,
    audience: list[str] | None = None,
    lifetime: int = ACCESS_TOKEN_SECONDS,
) -> dict:
    claims = _base_claims(
        issuer, azp=client_id, scope=scope, audience=audience or ["qcp-api"], lifetime=lifetime
    )
    claims.update(
        sub=subject_of(user.username),
        sid=sid or secrets.token_hex(16),
        preferred_username=user.username,
        name=user.name,
        **_scope_claims(user.roles, user.province, user.hospital_id, user.qc_center_id, user.specialty),
    )
    return claims


def client_access_claims(
    issuer: str,
    client: DevClient,
    *,
    scope: str = "profile",
    audience: list[str] | None = None,
    lifetime: int = ACCESS_TOKEN_SECONDS,
) -> dict:
    """A service-account token, as Keycloak issues for client credentials."""
    claims = _base_claims(
        issuer, azp=client.client_id, scope=scope, audience=audience or ["qcp-api"], lifetime=lifetime
    )
    claims.update(
        sub=subject_of(f"service-account-{client.client_id}"),
        preferred_username=f"service-account-{client.client_id}",
        client_id=client.client_id,
        **_scope_claims(client.roles, client.province, client.hospital_id),
    )
    return claims


def id_token_claims(access: dict, *, client_id: str, nonce: str | None) -> dict:
    claims = {k: v for k, v in access.items() if k not in ("scope", "realm_access", "aud", "typ")}
    claims.update(aud=client_id, typ="ID", jti=str(uuid.uuid4()), auth_time=access["iat"])
    if nonce:
        claims["nonce"] = nonce
    return claims
