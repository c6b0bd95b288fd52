"""Access-token verification against the realm's JWKS, through python-keycloak.

Only RS256 access tokens signed by a ``use == "sig"`` key of the realm are accepted. The JWKS is
cached; an unknown ``kid`` triggers one refetch (rate-limited, so a flood of forged ``kid`` values
cannot turn into a flood of requests to Keycloak).

Verified claims are cached per process until the token's own ``exp`` (never longer, no leeway:
an expired token is verified again and refused), keyed by the SHA-256 of the exact token string,
at most ``cache_size`` tokens; a refetched JWKS empties the cache (a key the realm withdrew stops
its tokens at once). Refusals are not cached.

Trap (see NOTES.md): passing ``check_claims`` to jwcrypto without ``"exp": None`` silently disables
the expiry check, and with ``check_claims`` set jwcrypto no longer checks ``nbf`` at all — so ``nbf``
and ``iat`` are checked here explicitly.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

if TYPE_CHECKING:
    from platform_api.settings import ApiSettings

ACCEPTED_ALGORITHMS = ("RS256",)


class InvalidToken(Exception):
    """A bearer token that must not be trusted. ``code`` is stable; ``detail`` is for people."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def _b64_json(segment: str) -> dict:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def unverified_header(token: str) -> dict:
    """The JOSE header of a compact JWS, parsed but NOT trusted (only used to pick the key)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise InvalidToken(
            "malformed", "令牌格式错误 / the token is not a compact JWS (header.payload.signature)"
        )
    try:
        return _b64_json(parts[0])
    except (ValueError, UnicodeError) as exc:
        raise InvalidToken("malformed", "令牌头无法解析 / the token header is not base64url JSON") from exc


class TokenVerifier:
    """Verifies access tokens of one realm.

    ``audiences``: accepted values of ``aud`` (the API's client id in Keycloak, e.g. ``qcp-api``;
    an absolute URI such as ``urn:qcp-api`` with an OIDC provider using resource indicators).
    ``trusted_clients``: ``azp`` values accepted even when ``aud`` lacks the API audience.
    """

    def __init__(
        self,
        *,
        server_url: str,
        realm: str,
        audiences: Iterable[str] = ("qcp-api",),
        trusted_clients: Iterable[str] = (),
        issuer: str | None = None,
        leeway: int = 60,
        jwks_ttl: float = 3600.0,
        refetch_interval: float = 10.0,
        timeout: int = 10,
        cache_size: int = 4096,
    ) -> None:
        server_url = server_url if server_url.endswith("/") else server_url + "/"
        self.issuer = issuer or f"{server_url}realms/{realm}"
        self.audiences = frozenset(audiences)
        self.trusted_clients = frozenset(trusted_clients)
        self.leeway = leeway
        self.jwks_ttl = jwks_ttl
        self.refetch_interval = refetch_interval
        self._oidc = KeycloakOpenID(
            server_url=server_url,
            realm_name=realm,
            client_id=next(iter(sorted(self.audiences)), "qcp-api"),
            timeout=timeout,
        )
        self._lock = threading.Lock()
        self._jwks: jwk.JWKSet | None = None
        self._fetched_at = 0.0
        self.fetch_count = 0
        self.cache_size = cache_size
        self._verified: OrderedDict[str, tuple[float, dict]] = OrderedDict()  # sha256 → (exp, claims)
        self._verified_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> TokenVerifier:
        return cls(
            server_url=settings.issuer_base_url,
            realm=settings.keycloak_realm,
            audiences=settings.accepted_audiences,
            trusted_clients=settings.token_trusted_clients,
            issuer=settings.token_issuer or None,
            leeway=settings.token_leeway_seconds,
        )

    # -- keys -------------------------------------------------------------------------------------

    def _fetch_jwks(self) -> jwk.JWKSet:
        try:
            certs = self._oidc.certs()
        except (KeycloakError, OSError, ValueError) as exc:
            raise InvalidToken(
                "issuer_unavailable",
                "无法获取签名公钥 / the identity provider's signing keys are unavailable",
            ) from exc
        keys = jwk.JWKSet()
        for cert in certs.get("keys", []):
            # Keycloak also publishes an encryption key: never verify signatures with it.
            if cert.get("use", "sig") == "sig" and cert.get("kty") == "RSA":
                keys.add(jwk.JWK(**cert))
        self.fetch_count += 1
        self._fetched_at = time.monotonic()
        with self._verified_lock:
            self._verified.clear()  # verified with keys that may be gone now
        return keys

    def _keys_for(self, kid: str) -> jwk.JWKSet:
        with self._lock:
            stale = self._jwks is None or time.monotonic() - self._fetched_at > self.jwks_ttl
            if self._jwks is None or stale:
                self._jwks = self._fetch_jwks()
            if self._jwks.get_key(kid) is None and not stale:
                if time.monotonic() - self._fetched_at >= self.refetch_interval:
                    self._jwks = self._fetch_jwks()  # the realm may have rotated its key: refetch once
            if self._jwks.get_key(kid) is None:
                raise InvalidToken(
                    "unknown_key",
                    f"未知的签名密钥 / the token is signed with an unknown key (kid {kid[:64]!r})",
                )
            return self._jwks

    # -- verification -----------------------------------------------------------------------------

    def verify(self, token: str | None) -> dict:
        """The verified claims of ``token``, or :class:`InvalidToken` saying why not."""
        if not token:
            raise InvalidToken("missing", "缺少访问令牌 / no bearer token was sent")
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._verified_lock:
            cached = self._verified.get(digest)
            if cached is not None and time.time() < cached[0]:
                return dict(cached[1])  # a copy: callers may not change what the next request gets
            if cached is not None:
                del self._verified[digest]  # past its exp: verified again (and refused) below
        claims = self._verify(token)
        with self._verified_lock:
            self._verified[digest] = (float(claims["exp"]), dict(claims))
            while len(self._verified) > self.cache_size:
                self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str) -> dict:
        header = unverified_header(token)
        alg = header.get("alg")
        if alg not in ACCEPTED_ALGORITHMS:
            raise InvalidToken(
                "bad_signature",
                f"不接受的签名算法 / signature algorithm {str(alg)[:20]!r} is not accepted; RS256 is required",
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("malformed", "令牌头缺少 kid / the token header has no key id (kid)")
        keys = self._keys_for(kid)
        claims = self._decode(token, keys)
        self._check_times(claims)
        self._check_audience(claims)
        self._check_type(claims)
        return claims

    def _decode(self, token: str, keys: jwk.JWKSet) -> dict:
        check = {"exp": None, "iat": None, "iss": self.issuer}  # "exp": None keeps the expiry check on
        try:
            claims = self._oidc.decode_token(
                token,
                key=keys,
                algs=list(ACCEPTED_ALGORITHMS),
                check_claims=check,
                leeway=self.leeway,
                expected_type="JWS",
                strict_serialization=True,
            )
        except jwt.JWTExpired as exc:
            raise InvalidToken(
                "expired", "访问令牌已过期，请重新登录 / the token has expired; sign in again"
            ) from exc
        except jwt.JWTNotYetValid as exc:
            raise InvalidToken("not_yet_valid", "访问令牌尚未生效 / the token is not valid yet") from exc
        except jwt.JWTMissingClaim as exc:
            raise InvalidToken(
                "malformed", f"令牌缺少必需声明 / the token lacks a required claim: {exc}"
            ) from exc
        except jwt.JWTInvalidClaimValue as exc:
            if "'iss'" in str(exc):
                raise InvalidToken(
                    "wrong_issuer", f"令牌签发者不受信任 / the token was not issued by {self.issuer}"
                ) from exc
            raise InvalidToken("bad_claims", f"令牌声明无效 / invalid claim: {exc}") from exc
        except jwt.JWTInvalidClaimFormat as exc:
            raise InvalidToken("malformed", f"令牌声明格式错误 / malformed claim: {exc}") from exc
        except (jws.InvalidJWSSignature, jwt.JWTMissingKey) as exc:
            raise InvalidToken("bad_signature", "令牌签名无效 / the token signature does not verify") from exc
        except (JWException, ValueError, TypeError) as exc:
            raise InvalidToken("malformed", "令牌无法解析 / the token cannot be parsed") from exc
        if not isinstance(claims, dict):
            raise InvalidToken("malformed", "令牌内容不是 JSON 对象 / the token payload is not a JSON object")
        return claims

    def _check_times(self, claims: dict) -> None:
        now = time.time()
        for name in ("exp", "iat", "nbf"):
            if name in claims and (
                isinstance(claims[name], bool) or not isinstance(claims[name], int | float)
            ):
                raise InvalidToken("malformed", f"令牌时间声明格式错误 / claim {name!r} is not a number")
        if "nbf" in claims and claims["nbf"] > now + self.leeway:
            raise InvalidToken("not_yet_valid", "访问令牌尚未生效 / the token is not valid yet (nbf)")
        if claims["iat"] > now + self.leeway:
            raise InvalidToken(
                "not_yet_valid", "访问令牌签发时间在未来 / the token was issued in the future (iat)"
            )
        if claims["exp"] <= claims["iat"]:
            raise InvalidToken("malformed", "令牌有效期无效 / the token expires before it was issued")

    def _check_audience(self, claims: dict) -> None:
        aud = claims.get("aud")
        audiences = set(aud) if isinstance(aud, list) else {aud} if isinstance(aud, str) else set()
        if audiences & self.audiences:
            return
        if claims.get("azp") in self.trusted_clients:
            return
        raise InvalidToken(
            "wrong_audience",
            f"令牌不是签发给本平台的 / the token audience does not include {', '.join(sorted(self.audiences))}",
        )

    @staticmethod
    def _check_type(claims: dict) -> None:
        # Keycloak marks ID tokens "ID" and refresh tokens "Refresh"; only access tokens may call the API.
        typ = claims.get("typ")
        if typ is not None and typ != "Bearer":
            raise InvalidToken(
                "wrong_token_type", f"不是访问令牌 / a {str(typ)[:20]!r} token is not an access token"
            )
