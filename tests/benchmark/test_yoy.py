"""Year over year following the catalog lineage: renumbered, redefined, partial, retired."""

from __future__ import annotations

import pytest

from services.benchmark.yoy import hospital_yoy, scope_yoy
from services.core.errors import NotFound
from services.core.quarter import Quarter
from tests.benchmark.conftest import GD, ZJ, analyst, viewer
from tests.db import act_as_app

Q3 = Quarter(2023, 3)


def _yoy(world, hospital, actor=None):  # noqa: ANN001, ANN202
    actor = actor or analyst()
    act_as_app(world.session, actor)
    data = hospital_yoy(world.session, actor, hospital_id=hospital.id, quarter=Q3)
    return data, {r["indicator_code"]: r for r in data["indicators"]}


def test_renumbered_goal_compares_with_its_predecessor(world):
    _, rows = _yoy(world, world.laggard)
    row = rows["NIT-2023-V.1"]
    assert row["comparability"] == "comparable"
    assert row["previous_indicator_code"] == "NIT-2022-VII.1" and row["previous_quarter"] == "2022Q3"
    assert row["previous_rate"] == pytest.approx(1.0) and row["rate"] == pytest.approx(
        2.0
    )  # per 100 discharges
    assert row["change"] == pytest.approx(1.0) and row["verdict"] == "improved"  # higher is better
    assert row["change_low"] < 1.0 < row["change_high"]


def test_redefined_goal_is_not_comparable_with_the_lineage_reason_and_no_number(world):
    _, rows = _yoy(world, world.laggard)
    row = rows["NIT-2023-IX.1"]
    assert row["comparability"] == "not_comparable" and row["comparability_label"] == "不可比"
    assert row["change"] is None and row["previous_rate"] is None
    assert "分子口径" in row["reason"] and "not comparable" in row["reason_en"]


def test_partial_goal_compares_only_the_shared_3h_bundle(world):
    _, rows = _yoy(world, world.laggard)
    three = rows["NIT-2023-VIII.1"]
    assert three["previous_indicator_code"] == "NIT-2022-VI.2"
    assert three["change"] == pytest.approx(-20.0) and three["change_unit"].startswith("百分点")
    assert three["verdict"] == "worsened"
    assert "3 小时" in three["goal_note"]
    six = rows["NIT-2023-VIII.2"]
    assert six["comparability"] == "new" and six["change"] is None


def test_retired_goal_is_listed_with_its_reason(world):
    data, _ = _yoy(world, world.laggard)
    retired = {r["indicator_code"]: r for r in data["retired"]}
    assert "NIT-2022-VIII.1" in retired and "NIT-2022-VI.1" in retired
    assert retired["NIT-2022-VIII.1"]["comparability_label"] == "已停用"
    assert "非计划" in retired["NIT-2022-VIII.1"]["reason"]


def test_no_significant_change_is_said_so(world):
    _, rows = _yoy(world, world.hospitals[3])
    row = rows["NIT-2023-I.1"]
    assert row["comparability"] == "comparable" and row["verdict"] == "no_significant_change"


def test_other_province_hospital_is_not_found_and_viewer_sees_only_itself(world):
    act_as_app(world.session, analyst(GD))
    with pytest.raises(NotFound):
        hospital_yoy(world.session, analyst(GD), hospital_id=world.laggard.id, quarter=Q3)
    me, other = world.hospitals[2], world.hospitals[4]
    _yoy(world, me, viewer(me))
    with pytest.raises(NotFound):
        _yoy(world, other, viewer(me))


def test_scope_yoy_compares_pooled_rates(world):
    act_as_app(world.session, analyst())
    data = scope_yoy(world.session, analyst(), quarter=Q3, scope=f"province:{ZJ}")
    rows = {r["indicator_code"]: r for r in data["indicators"]}
    assert rows["NIT-2023-I.1"]["previous_numerator"] == 70 * 11
    assert rows["NIT-2023-IX.1"]["change"] is None
