"""Production refuses the demo's secrets, plain-http Keycloak and a long token leeway (issue 21)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from platform_api.cli.demo_users import DASHBOARD_SECRET, DEMO_PASSWORD, demo_directory
from platform_api.cli.main import root
from platform_api.known_secrets import shipped_secret_reason
from platform_api.settings import MAX_PRODUCTION_LEEWAY_SECONDS, ApiSettings, UnsafeSettings, api_settings
from services.core.config import PROJECT_ROOT

KEYCLOAK = "https://sso.example.cn/"


def safe(**overrides: object) -> dict[str, object]:
    return {
        "environment": "production",
        "keycloak_url": KEYCLOAK,
        "session_secret": secrets.token_hex(32),
        "dashboard_client_secret": secrets.token_urlsafe(32),
        "session_encryption_keys": Fernet.generate_key().decode(),
        "rate_limit_storage_url": "redis://127.0.0.1:6379/0",
    } | overrides


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith("QCP_") and key != "QCP_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    api_settings.cache_clear()
    yield
    api_settings.cache_clear()


def test_a_random_production_configuration_passes():
    for _ in range(200):  # random secrets are never mistaken for placeholders
        ApiSettings(**safe())


def demo_printed_secrets() -> set[str]:
    directory = demo_directory(
        {"H001": 1, "H025": 2},
        {None: 1, "330000": 2, "440000": 3, "510000": 4},
        api_base="http://127.0.0.1:8000",
    )
    return (
        {c.secret for c in directory.clients if c.secret}
        | {u.password for u in directory.users}
        | {DASHBOARD_SECRET, DEMO_PASSWORD}
    )


def test_refuses_every_secret_the_demo_prints_naming_the_setting():
    printed = demo_printed_secrets()
    assert len(printed) >= 4
    for value in printed:
        with pytest.raises(UnsafeSettings, match="QCP_DASHBOARD_CLIENT_SECRET is refused") as refused:
            ApiSettings(**safe(dashboard_client_secret=value))
        assert "\n" not in str(refused.value) and "openssl rand" in str(refused.value)


@pytest.mark.parametrize(
    "value",
    [
        "test-dashboard-session-secret-0123456789abcdef",  # tests/dash/conftest.py
        "interop-secret-440000-101-0123456789abcdef",  # tests/interop/conftest.py
        "0123456789abcdef" * 4,  # tests/deploy/test_postgres_init.py
        "my-production-session-secret-2026-zj",
        "please-change-me-before-going-live-now",
        "QCP-example-session-key-for-the-docs-xyz",
    ],
)
def test_refuses_a_shipped_or_placeholder_session_secret_naming_the_setting(value: str):
    with pytest.raises(UnsafeSettings, match=r"QCP_SESSION_SECRET is refused in production") as refused:
        ApiSettings(**safe(session_secret=value))
    assert "\n" not in str(refused.value)


def test_the_same_values_are_allowed_outside_production():
    settings = ApiSettings(
        environment="development",
        session_secret="test-dashboard-session-secret-0123456789abcdef",
        dashboard_client_secret=DASHBOARD_SECRET,
    )
    assert settings.dashboard_client_secret == DASHBOARD_SECRET


# Literal values assigned to secret-like names anywhere in the repository (code, tests, docs, deploy).
# Idempotency and deduplication keys are request identifiers, not secrets.
_ASSIGNED = re.compile(
    r"(?i)(?:secret|password|passwd|(?<!idempotency)(?<!dedup)_key)\w*[\"']?\s*[:=]\s*[\"']([^\"'\s$]{8,})[\"']"
)
_NOT_SECRETS = {"owner_pw", "qcp-dashboard", "qcp-api"}  # a psql variable name, client ids


def shipped_literals() -> set[tuple[str, str]]:
    files = subprocess.run(
        ["git", "ls-files", "*.py", "*.md", "*.yaml", "*.yml", "*.json", "*.sh", "*.example", "*.conf"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = set()
    for name in files:
        if "node_modules" in name or name.endswith("known_secrets.py"):
            continue
        text = (PROJECT_ROOT / name).read_text(encoding="utf-8", errors="replace")
        found |= {(name, v) for v in _ASSIGNED.findall(text) if v not in _NOT_SECRETS and "://" not in v}
    return found


def test_every_secret_literal_shipped_in_the_repository_is_refused():
    literals = shipped_literals()
    assert any(value == DASHBOARD_SECRET for _, value in literals), "the scan must see the demo's secret"
    accepted = [(name, value) for name, value in literals if shipped_secret_reason(value) is None]
    assert not accepted, f"literal secrets production would accept: {accepted}"


@pytest.mark.parametrize(
    ("setting", "url"),
    [
        ("keycloak_url", "http://sso.example.cn/"),
        ("keycloak_url", "http://10.0.0.5:8080/"),
        ("keycloak_url", "HTTP://sso.example.cn/"),
        ("token_issuer", "http://sso.example.cn/realms/qcp"),
    ],
)
def test_refuses_a_plain_http_keycloak_url(setting: str, url: str):
    env = "QCP_KEYCLOAK_URL" if setting == "keycloak_url" else "QCP_TOKEN_ISSUER"
    with pytest.raises(UnsafeSettings, match=f"{env}=.* is plain http.*https://") as refused:
        ApiSettings(**safe(**{setting: url}))
    assert "\n" not in str(refused.value)


def test_plain_http_is_allowed_to_loopback_and_to_a_named_private_service():
    assert ApiSettings(**safe(keycloak_url="http://127.0.0.1:8080/"))
    assert ApiSettings(**safe(keycloak_url="http://keycloak:8080/", keycloak_http_hosts=["keycloak"]))
    with pytest.raises(UnsafeSettings, match="QCP_KEYCLOAK_HTTP_HOSTS"):  # listing one host is not all
        ApiSettings(**safe(keycloak_url="http://sso:8080/", keycloak_http_hosts=["keycloak"]))


def test_plain_http_keycloak_is_allowed_outside_production():
    assert ApiSettings(environment="test", keycloak_url="http://sso.example.cn/")


@pytest.mark.parametrize("leeway", [MAX_PRODUCTION_LEEWAY_SECONDS + 1, 3600, 86_400])
def test_refuses_a_token_leeway_beyond_five_minutes(leeway: int):
    with pytest.raises(UnsafeSettings, match=f"QCP_TOKEN_LEEWAY_SECONDS={leeway} is more than 300 s"):
        ApiSettings(**safe(token_leeway_seconds=leeway))


def test_accepts_a_leeway_of_a_few_minutes_and_refuses_a_negative_one_anywhere():
    assert ApiSettings(**safe(token_leeway_seconds=MAX_PRODUCTION_LEEWAY_SECONDS)).token_leeway_seconds == 300
    assert ApiSettings(environment="test", token_leeway_seconds=3600)
    with pytest.raises(UnsafeSettings, match="QCP_TOKEN_LEEWAY_SECONDS"):
        ApiSettings(environment="test", token_leeway_seconds=-1)


@pytest.mark.parametrize("storage", [None, "memory://"])
def test_production_refuses_rate_limits_counted_per_worker(storage: str | None):
    with pytest.raises(UnsafeSettings, match="QCP_RATE_LIMIT_STORAGE_URL=redis://"):
        ApiSettings(**safe(rate_limit_storage_url=storage))
    assert ApiSettings(
        **safe(rate_limit_storage_url=storage, rate_limit_enabled=False)
    )  # limits off: nothing shared


def test_refuses_an_unknown_rate_limit_storage_anywhere():
    with pytest.raises(UnsafeSettings, match="QCP_RATE_LIMIT_STORAGE_URL='memcached://x' is not supported"):
        ApiSettings(environment="test", rate_limit_storage_url="memcached://x")
    assert ApiSettings(environment="development").rate_limit_storage == "memory://"


def test_qcp_serve_stops_with_the_one_line_reason(monkeypatch: pytest.MonkeyPatch):
    for key, value in {
        "QCP_KEYCLOAK_URL": KEYCLOAK,
        "QCP_SESSION_SECRET": secrets.token_hex(32),
        "QCP_DASHBOARD_CLIENT_SECRET": DASHBOARD_SECRET,
        "QCP_SESSION_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "QCP_RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
    }.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(root, ["serve"])
    assert isinstance(result.exception, UnsafeSettings)
    assert "QCP_DASHBOARD_CLIENT_SECRET" in str(result.exception)
