"""Commands run on a database that was never migrated say "run `qcp db upgrade`" in one line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from platform_api.cli.main import root
from platform_api.settings import api_settings
from services.core.config import database_settings
from tests.db import fresh_database


@pytest.fixture(scope="module")
def empty_database() -> Iterator[object]:
    with fresh_database("qcp_unmigrated", migrate=False) as urls:
        yield urls


@pytest.fixture
def on_empty(empty_database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # noqa: ANN001
    monkeypatch.setenv("QCP_MIGRATION_DATABASE_URL", empty_database.owner)
    monkeypatch.setenv("QCP_DATABASE_URL", empty_database.owner)
    monkeypatch.setenv("QCP_ENVIRONMENT", "test")
    database_settings.cache_clear()
    api_settings.cache_clear()
    yield
    database_settings.cache_clear()
    api_settings.cache_clear()


@pytest.mark.parametrize(
    "args",
    [
        ["catalog", "export", "--year", "2023"],
        ["catalog", "diff", "2022", "2023"],
        ["catalog", "publish", "--shipped"],
        ["flags", "freeze-locked"],
        ["sessions", "purge"],
    ],
)
def test_a_command_on_an_unmigrated_database_says_run_qcp_db_upgrade(on_empty, args: list[str]) -> None:  # noqa: ANN001
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "run `qcp db upgrade`" in lines[0] and "qcp db upgrade" in lines[0]


def test_other_errors_are_not_mistaken_for_a_missing_schema() -> None:
    from platform_api.cli.main import _missing_schema

    assert _missing_schema(RuntimeError("relation x does not exist")) is None
