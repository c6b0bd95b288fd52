"""API settings. Unsafe combinations refuse to start (see docs/configuration.md)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Literal
from urllib.parse import urlparse

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from platform_api.known_secrets import shipped_secret_reason
from services.core.crypto import InvalidEncryptionKey, derive_key, parse_keys

# Clock skew production tolerates on token times; more keeps stolen or revoked tokens alive longer.
MAX_PRODUCTION_LEEWAY_SECONDS = 300
FERNET_KEY_COMMAND = "`openssl rand -base64 32 | tr '+/' '-_'`"


class UnsafeSettings(RuntimeError):
    """Raised at start-up when the configuration would be unsafe in production."""


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QCP_", extra="ignore")

    environment: Literal["production", "development", "test"] = "production"
    # Identity provider: a real Keycloak in production; the development issuer in the demo.
    keycloak_url: str | None = None  # e.g. https://sso.example.cn/ (trailing slash matters with a path)
    keycloak_realm: str = "qcp"
    api_audience: str = "qcp-api"  # accepted `aud`; an absolute URI (urn:qcp-api) with resource indicators
    token_trusted_clients: list[str] = []  # `azp` values accepted when `aud` lacks the API audience
    token_issuer: str | None = None  # expected `iss` when Keycloak's public URL differs from keycloak_url
    token_leeway_seconds: int = 60  # clock skew tolerated on exp / nbf / iat (production: at most 300)
    # Hosts production may reach Keycloak on over plain http: a service name on a private container
    # network (compose: ["keycloak"]). Loopback is always allowed; anything else must be https.
    keycloak_http_hosts: list[str] = []
    dashboard_client_id: str = "qcp-dashboard"
    dashboard_client_secret: str | None = None  # the confidential dashboard client's secret in Keycloak
    dev_issuer: bool = False  # start the loopback development issuer (demo only)
    dev_issuer_host: str = "127.0.0.1"
    dev_issuer_port: int = 8081
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    session_secret: str | None = None
    # Fernet keys encrypting refresh tokens in web_sessions: comma-separated, newest first (the first
    # encrypts, all decrypt). Outside production, derived from session_secret when unset.
    session_encryption_keys: str | None = None
    max_request_bytes: int = 5 * 1024 * 1024
    # platform_api/rate_limit.py. None = the environment's default: 120/min with a burst of 60, or
    # 60000/10000 when environment=test. Counted in Redis in production (shared by every worker).
    rate_limit_enabled: bool = True
    rate_limit_storage_url: str | None = None  # redis://host:6379/0 (production); None = memory:// elsewhere
    rate_limit_key_prefix: str = "qcp-rate"  # Redis key prefix (several platforms may share one Redis)
    rate_limit_per_minute: int | None = None
    rate_limit_burst: int | None = None
    max_json_depth: int = 32  # nesting of arrays/objects in a JSON body (FHIR bundles need about 10)
    behind_tls: bool = False  # TLS ends at the reverse proxy: send Strict-Transport-Security anyway
    hsts_max_age_seconds: int = 31_536_000  # 0 = never send Strict-Transport-Security

    @property
    def rate_limit(self) -> tuple[int, int]:
        """(requests per minute, burst) in force for one client in one worker."""
        test = self.environment == "test"
        per_minute = self.rate_limit_per_minute or (60_000 if test else 120)
        burst = self.rate_limit_burst or (10_000 if test else min(60, per_minute))
        return per_minute, burst

    @property
    def rate_limit_storage(self) -> str:
        return self.rate_limit_storage_url or "memory://"

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> ApiSettings:
        if self.dev_issuer and not is_loopback_host(self.dev_issuer_host):
            raise UnsafeSettings(
                f"开发签发者只能监听本机回环地址 / the development issuer refuses non-loopback address "
                f"{self.dev_issuer_host!r}: use 127.0.0.1, or configure QCP_KEYCLOAK_URL"
            )
        if self.keycloak_url and urlparse(self.keycloak_url).scheme not in ("http", "https"):
            raise UnsafeSettings(f"QCP_KEYCLOAK_URL must be an http(s) URL, got {self.keycloak_url!r}")
        if self.session_encryption_keys:
            try:
                parse_keys(self.session_encryption_keys)
            except InvalidEncryptionKey as exc:
                raise UnsafeSettings(
                    f"QCP_SESSION_ENCRYPTION_KEYS 无效 / QCP_SESSION_ENCRYPTION_KEYS is invalid: {exc}; generate "
                    f"one with {FERNET_KEY_COMMAND}"
                ) from None
        storage = urlparse(self.rate_limit_storage).scheme
        if storage not in ("redis", "rediss", "memory"):
            raise UnsafeSettings(
                f"QCP_RATE_LIMIT_STORAGE_URL={self.rate_limit_storage_url!r} is not supported: use "
                "redis://host:6379/0, rediss://… or memory://"
            )
        if self.token_leeway_seconds < 0:
            raise UnsafeSettings(
                f"QCP_TOKEN_LEEWAY_SECONDS 不能为负 / must not be negative (got {self.token_leeway_seconds}); "
                "use 60"
            )
        if self.environment == "production":
            self._refuse_unsafe_production()
        return self

    def _refuse_unsafe_production(self) -> None:
        if self.dev_issuer:
            raise UnsafeSettings(
                "生产环境不能使用开发签发者 / QCP_DEV_ISSUER is not allowed when QCP_ENVIRONMENT=production"
            )
        if not self.keycloak_url:
            raise UnsafeSettings(
                "生产环境必须配置 Keycloak / production requires QCP_KEYCLOAK_URL (e.g. https://sso.example.cn/)"
            )
        if not self.session_secret or len(self.session_secret) < 32 or len(set(self.session_secret)) < 12:
            raise UnsafeSettings(
                "生产环境必须设置至少 32 字符的随机会话密钥 / production requires a random QCP_SESSION_SECRET of "
                "32+ characters (e.g. `openssl rand -hex 32`); placeholders such as 'xxxx…' are refused"
            )
        if not self.session_encryption_keys:
            raise UnsafeSettings(
                "生产环境必须设置刷新令牌加密密钥 / production requires QCP_SESSION_ENCRYPTION_KEYS (refresh "
                f"tokens are encrypted at rest); generate one with {FERNET_KEY_COMMAND}"
            )
        if self.rate_limit_enabled and not self.rate_limit_storage.startswith(("redis://", "rediss://")):
            raise UnsafeSettings(
                "生产环境的限流必须由所有进程共享 / production requires QCP_RATE_LIMIT_STORAGE_URL=redis://host:6379/0 "
                "so every worker and container counts one limit (memory:// counts per worker)"
            )
        self._refuse_shipped_secrets()
        self._refuse_plain_http("QCP_KEYCLOAK_URL", self.keycloak_url)
        if self.token_issuer:
            self._refuse_plain_http("QCP_TOKEN_ISSUER", self.token_issuer)
        if self.token_leeway_seconds > MAX_PRODUCTION_LEEWAY_SECONDS:
            raise UnsafeSettings(
                f"生产环境令牌时钟容差过大 / QCP_TOKEN_LEEWAY_SECONDS={self.token_leeway_seconds} is more than "
                f"{MAX_PRODUCTION_LEEWAY_SECONDS} s: expired tokens would stay valid that long; set 60 and keep "
                "clocks in sync with NTP"
            )

    def _secrets(self) -> dict[str, str | None]:
        """Every secret setting production checks, by its environment variable."""
        return {
            "QCP_SESSION_SECRET": self.session_secret,
            "QCP_DASHBOARD_CLIENT_SECRET": self.dashboard_client_secret,
            "QCP_SESSION_ENCRYPTION_KEYS": self.session_encryption_keys,
        }

    def _refuse_shipped_secrets(self) -> None:
        for name, value in self._secrets().items():
            reason = shipped_secret_reason(value) if value else None
            if reason:
                raise UnsafeSettings(
                    f"生产环境不能使用演示或示例密钥 / {name} is refused in production: {reason}; "
                    "generate a new one with `openssl rand -hex 32`"
                )

    def _refuse_plain_http(self, name: str, url: str) -> None:
        parsed = urlparse(url)
        host = parsed.hostname or ""
        if parsed.scheme == "https" or is_loopback_host(host) or host in self.keycloak_http_hosts:
            return
        raise UnsafeSettings(
            f"生产环境必须通过 https 访问 Keycloak / {name}={url!r} is plain http: tokens and signing keys "
            f"would cross the network unprotected; use https://…, or list {host!r} in QCP_KEYCLOAK_HTTP_HOSTS "
            "only if it is a service name on a private container network"
        )

    def session_encryption_key_list(self) -> list[bytes] | None:
        """Keys for refresh tokens at rest; None = a key of this process only (nothing configured)."""
        if self.session_encryption_keys:
            return parse_keys(self.session_encryption_keys)
        if self.session_secret:  # never in production, which requires the keys
            return [derive_key(self.session_secret, purpose="web-session-refresh-tokens")]
        return None

    @property
    def issuer_base_url(self) -> str:
        """Base URL of the identity provider (Keycloak, or the development issuer)."""
        if self.keycloak_url:
            return self.keycloak_url if self.keycloak_url.endswith("/") else self.keycloak_url + "/"
        return f"http://{self.dev_issuer_host}:{self.dev_issuer_port}/"

    @property
    def issuer(self) -> str:
        return f"{self.issuer_base_url}realms/{self.keycloak_realm}"

    @property
    def accepted_audiences(self) -> tuple[str, ...]:
        return (self.api_audience,)


@lru_cache
def api_settings() -> ApiSettings:
    return ApiSettings()
