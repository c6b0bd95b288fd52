"""`qcp catalog`: publish (all or nothing, every problem printed), diff, export."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from platform_api.cli import common
from platform_api.cli.catalog import app
from services.models.catalog import Goal
from tests.services.catalog.support import FILE_2022, FILE_2023
from tests.services.catalog.test_validate import broken_2023

runner = CliRunner()


@pytest.fixture
def cli_session(bare_owner_session, monkeypatch):
    owner_session = bare_owner_session

    @contextmanager
    def fake_owner_session():
        yield owner_session  # the test's transaction; rolled back after the test

    monkeypatch.setattr(common, "owner_session", fake_owner_session)
    return owner_session


def test_publish_prints_the_diff_against_the_previous_year(cli_session):
    assert runner.invoke(app, ["publish", str(FILE_2022), "--by", "tests"]).exit_code == 0
    result = runner.invoke(app, ["publish", str(FILE_2023), "--by", "tests"])
    assert result.exit_code == 0, result.output
    assert "2023: 已发布 / published" in result.output
    assert "退出 / retired（1）: NIT-2022-VIII" in result.output
    assert "NIT-2022-IV → PIT-2023-37 [moved_to_specialty]" in result.output
    again = runner.invoke(app, ["publish", str(FILE_2023)])
    assert again.exit_code == 0 and "identical" in again.output


def test_broken_file_exits_1_prints_every_problem_and_loads_nothing(cli_session, tmp_path):
    runner.invoke(app, ["publish", str(FILE_2022), "--by", "tests"])
    broken = tmp_path / "catalog-2023.yaml"
    broken.write_text(broken_2023(), encoding="utf-8")
    result = runner.invoke(app, ["publish", str(broken), "--by", "tests"])
    assert result.exit_code == 1
    for where in (
        "[NIT-2023-IV] code",
        "[NIT-2023-I.1] denominator",
        "[NIT-2023-II] lineage[0].from",
        "[NIT-2022-VIII] lineage",
        "[NIT-2023-III] direction",
        "[PIT-2023-01] owners",
    ):
        assert where in result.output
    assert cli_session.scalar(select(func.count()).select_from(Goal).where(Goal.year == 2023)) == 0


def test_diff_and_export_as_json(cli_session):
    runner.invoke(app, ["publish", str(FILE_2022), "--by", "tests"])
    runner.invoke(app, ["publish", str(FILE_2023), "--by", "tests"])
    diff = runner.invoke(app, ["diff", "2022", "2023", "--format", "json"])
    assert diff.exit_code == 0, diff.output
    assert json.loads(diff.output)["direction_changed"] == ["NIT-2022-IX → NIT-2023-VI"]
    export = runner.invoke(app, ["export", "--year", "2022", "--format", "json"])
    assert export.exit_code == 0
    assert [g["code"] for g in json.loads(export.output)["goals"]][0] == "NIT-2022-I"


def test_diff_of_an_unpublished_year_exits_1(cli_session):
    result = runner.invoke(app, ["diff", "2022", "2023"])
    assert result.exit_code == 1 and "尚未发布" in result.output
