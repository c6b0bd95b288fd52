"""The platform refuses to start with unsafe settings (docs/configuration.md lists each one)."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from platform_api.cli.main import root
from platform_api.settings import ApiSettings, UnsafeSettings, api_settings
from services.core import embedded
from services.core.config import database_settings
from services.core.db import Database, UnsafeDatabaseRole, assert_restricted_role
from tests.db import admin_uri

# Generated per run, as `openssl rand -hex 32` prints (what the refusal recommends): a literal here would
# be a value shipped in the repository, which production refuses. Not -hex 16: 32 hex digits hold fewer
# than the 12 distinct characters production requires in a few percent of draws.
SECRET = secrets.token_hex(32)
FERNET_KEY = Fernet.generate_key().decode()
SAFE = {
    "environment": "production",
    "keycloak_url": "https://sso.example.cn/",
    "session_secret": SECRET,
    "session_encryption_keys": FERNET_KEY,
    "rate_limit_storage_url": "redis://127.0.0.1:6379/0",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings read QCP_* variables: start every test from none, and from empty caches."""
    for key in list(os.environ):
        if key.startswith("QCP_") and key != "QCP_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    api_settings.cache_clear()
    database_settings.cache_clear()
    yield
    api_settings.cache_clear()
    database_settings.cache_clear()


def test_accepts_a_safe_production_configuration():
    settings = ApiSettings(**SAFE)
    assert settings.issuer == "https://sso.example.cn/realms/qcp"


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "qcp.example.cn", "::"])
def test_refuses_the_development_issuer_on_a_non_loopback_address(host: str):
    with pytest.raises(UnsafeSettings, match="loopback"):
        ApiSettings(environment="development", dev_issuer=True, dev_issuer_host=host)


def test_allows_the_development_issuer_on_loopback_outside_production():
    assert ApiSettings(environment="development", dev_issuer=True, dev_issuer_host="127.0.0.1").dev_issuer


def test_refuses_the_development_issuer_in_production():
    with pytest.raises(UnsafeSettings, match="QCP_DEV_ISSUER"):
        ApiSettings(**SAFE, dev_issuer=True, dev_issuer_host="127.0.0.1")


def test_refuses_production_without_a_keycloak_url():
    with pytest.raises(UnsafeSettings, match="QCP_KEYCLOAK_URL"):
        ApiSettings(environment="production", session_secret=SECRET)


@pytest.mark.parametrize("secret", [None, "", "short", "x" * 31])
def test_refuses_production_without_a_long_session_secret(secret: str | None):
    with pytest.raises(UnsafeSettings, match="QCP_SESSION_SECRET"):
        ApiSettings(environment="production", keycloak_url="https://sso.example.cn/", session_secret=secret)


def test_refuses_a_keycloak_url_that_is_not_http():
    with pytest.raises(UnsafeSettings, match="http"):
        ApiSettings(**{**SAFE, "keycloak_url": "ftp://sso.example.cn/"})


def test_production_is_the_default_environment(monkeypatch: pytest.MonkeyPatch):
    # Forgetting QCP_ENVIRONMENT must not relax anything.
    monkeypatch.setenv("QCP_KEYCLOAK_URL", "https://sso.example.cn/")
    with pytest.raises(UnsafeSettings, match="QCP_SESSION_SECRET"):
        ApiSettings()


def test_reads_unsafe_values_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QCP_ENVIRONMENT", "development")
    monkeypatch.setenv("QCP_DEV_ISSUER", "true")
    monkeypatch.setenv("QCP_DEV_ISSUER_HOST", "0.0.0.0")
    with pytest.raises(UnsafeSettings):
        ApiSettings()


def test_qcp_serve_refuses_to_start_with_unsafe_settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QCP_KEYCLOAK_URL", "https://sso.example.cn/")  # production, but no session secret
    result = CliRunner().invoke(root, ["serve"])
    assert result.exit_code != 0
    assert isinstance(result.exception, UnsafeSettings)


# -- the application's database role ---------------------------------------------------------------


def test_accepts_the_restricted_app_role(app_database: Database):
    assert_restricted_role(app_database.engine)


def test_refuses_the_owner_superuser(owner_engine):  # noqa: ANN001
    with pytest.raises(UnsafeDatabaseRole, match="superuser=True"):
        assert_restricted_role(owner_engine)


@pytest.fixture
def scratch_role(db_urls, owner_engine) -> Iterator[tuple[str, str]]:  # noqa: ANN001
    """A throwaway LOGIN role on the test database: (role name, its URL)."""
    name = f"qcp_scratch_{uuid.uuid4().hex[:8]}"
    database = make_url(db_urls.owner).database
    with owner_engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS"))
        conn.execute(text(f"GRANT CONNECT ON DATABASE {database} TO {name}"))
    try:
        yield name, embedded.with_user_and_db(admin_uri(), name, database)
    finally:
        with owner_engine.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {name}"))
            conn.execute(text(f"DROP ROLE {name}"))


def _check(url: str) -> None:
    engine = create_engine(url)
    try:
        assert_restricted_role(engine)
    finally:
        engine.dispose()


def test_refuses_a_role_that_can_bypass_rls(scratch_role, owner_engine):  # noqa: ANN001
    name, url = scratch_role
    _check(url)  # control: a plain role passes
    with owner_engine.begin() as conn:
        conn.execute(text(f"ALTER ROLE {name} BYPASSRLS"))
    with pytest.raises(UnsafeDatabaseRole, match="bypassrls=True"):
        _check(url)


def test_refuses_a_role_that_owns_a_table(scratch_role, owner_engine):  # noqa: ANN001
    # A table owner escapes policies unless FORCE is set on every table: refuse owners outright.
    name, url = scratch_role
    with owner_engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {name}_owned (id int)"))
        conn.execute(text(f"ALTER TABLE {name}_owned OWNER TO {name}"))
    with pytest.raises(UnsafeDatabaseRole, match="owner of 1 tables"):
        _check(url)


def test_qcp_serve_refuses_the_owner_database_url(monkeypatch: pytest.MonkeyPatch, db_urls):  # noqa: ANN001
    monkeypatch.setenv("QCP_KEYCLOAK_URL", "https://sso.example.cn/")
    monkeypatch.setenv("QCP_SESSION_SECRET", SECRET)
    monkeypatch.setenv("QCP_SESSION_ENCRYPTION_KEYS", FERNET_KEY)
    monkeypatch.setenv("QCP_RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("QCP_DATABASE_URL", db_urls.owner)
    result = CliRunner().invoke(root, ["serve"])
    assert isinstance(result.exception, UnsafeDatabaseRole), result.output


@pytest.mark.parametrize("secret", ["x" * 40, "changeme" * 5, "ab" * 20])
def test_refuses_a_placeholder_session_secret(secret: str):
    with pytest.raises(UnsafeSettings, match="placeholders"):
        ApiSettings(environment="production", keycloak_url="https://sso.example.cn/", session_secret=secret)


def test_refuses_an_unknown_environment_name():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="environment"):
        ApiSettings(environment="prod")


def test_qcp_serve_refuses_production_without_a_database_url(monkeypatch: pytest.MonkeyPatch):
    from platform_api.cli.serve import preflight
    from services.core.config import database_settings

    monkeypatch.delenv("QCP_DATABASE_URL", raising=False)
    database_settings.cache_clear()
    try:
        with pytest.raises(UnsafeSettings, match="QCP_DATABASE_URL"):
            preflight(ApiSettings(**SAFE))
    finally:
        database_settings.cache_clear()


def test_refuses_a_member_of_the_role_that_owns_the_tables(scratch_role, owner_engine):  # noqa: ANN001
    # Membership in the owner role would allow ALTER TABLE … DISABLE ROW LEVEL SECURITY.
    name, url = scratch_role
    with owner_engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {name}_owner NOLOGIN"))
        conn.execute(text(f"CREATE TABLE {name}_t (id int)"))
        conn.execute(text(f"ALTER TABLE {name}_t OWNER TO {name}_owner"))
        conn.execute(text(f"GRANT {name}_owner TO {name}"))
    try:
        with pytest.raises(UnsafeDatabaseRole, match="owner of 1 tables"):
            _check(url)
    finally:
        with owner_engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {name}_t"))
            conn.execute(text(f"DROP ROLE {name}_owner"))
