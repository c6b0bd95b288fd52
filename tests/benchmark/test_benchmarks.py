"""Benchmarks over a small world: numbers, scope, min denominator, approved-only switch."""

from __future__ import annotations

import pytest

from services.benchmark.benchmarks import benchmark
from services.benchmark.views import report_json
from services.core.errors import NotFound
from services.core.quarter import Quarter
from tests.benchmark.conftest import GD, ZJ, analyst, national, viewer
from tests.benchmark.world import add_hospital, add_values
from tests.db import act_as_app

Q3 = Quarter(2023, 3)


def _one(world, actor, **kw):  # noqa: ANN001, ANN202
    act_as_app(world.session, actor)
    data = report_json(benchmark(world.session, actor, quarter=Q3, indicator="NIT-2023-I.1", **kw))
    return data, data["indicators"][0]


def test_province_benchmark_flags_the_laggard_at_998_and_keeps_small_hospital_unflagged(world):
    data, ind = _one(world, analyst(), scope=f"province:{ZJ}")
    rows = {r["hospital_id"]: r for r in ind["hospitals"]}
    assert ind["hospitals_reporting"] == 14 - 2  # the two 二级 hospitals reported nothing
    assert ind["hospitals_expected"] >= 14 and ind["hospitals_missing"] == 2
    assert rows[world.laggard.id]["signal"] == "worse_998"
    assert rows[world.laggard.id]["percentile_rank"] == 0.0
    tiny = rows[world.hospitals[11].id]
    assert tiny["signal"] == "insufficient" and tiny["percentile_rank"] is None and tiny["rate"] == 0.0
    x = sum(r["numerator"] for r in rows.values())
    n = sum(r["denominator"] for r in rows.values())
    assert ind["pooled_rate"] == pytest.approx(100 * x / n)
    assert ind["p10"] <= ind["p50"] <= ind["p90"] and ind["phi"] is not None
    assert all(r["hospital_name"] for r in rows.values())
    assert data["statuses"] == ["approved"]


def test_denominator_zero_is_no_cases_never_a_rate_of_zero(world):
    h = add_hospital(world.session, ZJ, "无病例医院")
    add_values(world.session, h, "2023Q3", {"NIT-2023-I.1": (0, 0)})
    _, ind = _one(world, analyst())
    row = next(r for r in ind["hospitals"] if r["hospital_id"] == h.id)
    assert row["no_cases"] is True and row["rate"] is None and row["signal"] == "insufficient"
    assert ind["hospitals_no_cases"] == 1


def test_submitted_data_counts_only_when_asked_and_the_result_says_so(world):
    h = add_hospital(world.session, ZJ, "未审核医院")
    add_values(world.session, h, "2023Q3", {"NIT-2023-I.1": (50, 100)}, status="submitted")
    _, approved = _one(world, analyst())
    data, both = _one(world, analyst(), include_submitted=True)
    assert h.id not in {r["hospital_id"] for r in approved["hospitals"]}
    assert h.id in {r["hospital_id"] for r in both["hospitals"]}
    assert data["include_submitted"] is True and "submitted" in data["statuses"]
    assert "尚未审核" in data["data_note"] and "not yet approved" in data["data_note"]


def test_provincial_analyst_cannot_reach_another_province(world):
    act_as_app(world.session, analyst(GD))
    with pytest.raises(NotFound):
        benchmark(world.session, analyst(GD), quarter=Q3, scope=f"province:{ZJ}")
    with pytest.raises(NotFound):
        benchmark(world.session, analyst(GD), quarter=Q3, scope="nation")


def test_peer_group_limits_to_level_and_type(world):
    _, ind = _one(world, analyst(), scope=f"peer:三级综合@{ZJ}")
    assert ind["hospitals_expected"] == 12 and ind["hospitals_missing"] == 0
    _, nation = _one(world, national(), scope="peer:三级综合")
    assert {r["hospital_id"] for r in nation["hospitals"]} >= {h.id for h in world.guangdong}


def test_hospital_viewer_sees_distribution_and_only_its_own_row(world):
    me = world.hospitals[3]
    data, ind = _one(world, viewer(me))
    assert [r["hospital_id"] for r in ind["hospitals"]] == [me.id]
    assert ind["hospitals_reporting"] == 12  # the distribution is the province's
    assert data["own_hospital_only"] is True
    with pytest.raises(NotFound):
        _one(world, viewer(me), scope=f"province:{GD}")


def test_rate_indicator_has_poisson_interval_and_a_funnel(world):
    # issue 13: rates per N get Poisson control limits (they had intervals but no funnel before)
    act_as_app(world.session, analyst())
    data = report_json(benchmark(world.session, analyst(), quarter=Q3, indicator="NIT-2023-V.1"))
    ind = data["indicators"][0]
    row = ind["hospitals"][0]
    assert ind["kind"] == "rate" and ind["measure"] == "rate" and ind["limits_method"].startswith("poisson")
    assert row["signal"] != "not_applicable" and row["limit95_low"] < row["limit95_high"]
    assert row["ci95_low"] < row["rate"] < row["ci95_high"]


def test_mean_indicator_keeps_no_funnel(world):
    act_as_app(world.session, analyst())
    data = report_json(benchmark(world.session, analyst(), quarter=Q3, indicator="NIT-2023-VI.3"))
    ind = data["indicators"][0]
    assert ind["kind"] == "ratio" and ind["measure"] is None and ind["oe"] is None


def test_unknown_indicator_is_not_found(world):
    act_as_app(world.session, analyst())
    with pytest.raises(NotFound):
        benchmark(world.session, analyst(), quarter=Q3, indicator="NIT-2099-I.1")
