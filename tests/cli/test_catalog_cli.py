"""`qcp catalog`: check, publish (files, steps, --shipped; all or nothing, every problem printed),
diff, export."""

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
from tests.services.catalog.v2_support import V2

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
    assert (
        "NIT-2022-IV → PIT-2023-37 [调至专业目标 / moved to a specialty list] 可比 / comparable"
        in result.output
    )
    assert "[调整序号、重新定义 / renumbered, redefined] 部分可比 / partially comparable" in result.output
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


def test_publish_shipped_twice_says_nothing_changed(cli_session):
    first = runner.invoke(app, ["publish", "--shipped", "--by", "tests"])
    assert first.exit_code == 0, first.output
    assert "2022: 已发布 / published" in first.output and "2023: 已发布 / published" in first.output
    assert (
        "2022 第 2 版 / r2: 已发布 / published" in first.output and "2026: 已发布 / published" in first.output
    )
    again = runner.invoke(app, ["publish", "--shipped", "--by", "tests"])
    assert again.exit_code == 0, again.output
    assert "未作任何改动 / every shipped catalog is already published: nothing changed" in again.output
    assert "已发布 / published（" not in again.output


def test_publish_needs_files_or_shipped(cli_session):
    assert runner.invoke(app, ["publish"]).exit_code == 2
    assert runner.invoke(app, ["publish", str(FILE_2022), "--shipped"]).exit_code == 2


def publish_r1() -> None:
    """Revision 1 of 2022 and 2023 only: the synthetic fixtures build on them."""
    assert runner.invoke(app, ["publish", str(FILE_2022), str(FILE_2023), "--by", "tests"]).exit_code == 0


def test_earlier_year_alone_is_refused_with_the_command_then_published_together(cli_session):
    publish_r1()
    alone = runner.invoke(app, ["publish", str(V2 / "catalog-2021.yaml")])
    assert alone.exit_code == 1
    assert "qcp catalog publish catalog-2021.yaml catalog-2022.r2.yaml" in alone.output
    together = runner.invoke(
        app, ["publish", str(V2 / "catalog-2022.r2.yaml"), str(V2 / "catalog-2021.yaml")]
    )
    assert together.exit_code == 0, together.output
    assert "2021: 已发布 / published" in together.output
    assert "2022 第 2 版 / r2: 已发布 / published" in together.output
    assert "撤销指标 / indicators withdrawn（1）: NIT-2022-IX.4" in together.output


def test_unknown_destination_prints_in_chinese_first(cli_session):
    publish_r1()
    result = runner.invoke(app, ["publish", str(V2 / "catalog-2024.yaml")])
    assert result.exit_code == 0, result.output
    assert (
        "NIT-2023-IX → 调至专业目标（去向待定） / moved to a specialty list (destination not yet known)"
        in result.output
    )
    assert "待定（专业目标尚未载入）/ pending (specialty list not loaded)（39）" in result.output


def test_check_validates_files_without_a_database(tmp_path):
    ok = runner.invoke(app, ["check", str(FILE_2022), str(FILE_2023)])
    assert ok.exit_code == 0 and ok.output.count("通过 / ok") == 2
    broken = tmp_path / "catalog-2023.yaml"
    broken.write_text(broken_2023(), encoding="utf-8")
    bad = runner.invoke(app, ["check", str(FILE_2022), str(broken)])
    assert bad.exit_code == 1 and "[NIT-2023-IV] code" in bad.output
    assert runner.invoke(app, ["check", "--shipped"]).exit_code == 0


def test_db_upgrade_help_says_to_publish_the_shipped_catalogs():
    from platform_api.cli.db import app as db_app

    result = runner.invoke(db_app, ["upgrade", "--help"])
    assert result.exit_code == 0 and "qcp catalog publish --shipped" in result.output
