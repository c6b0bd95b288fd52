"""Early warning on hospitals' quarterly series: CUSUM before the funnel, lineage, flags, tenancy."""

from __future__ import annotations

import pytest

from services.benchmark.early_warning import (
    compute_series,
    early_warnings_after_freeze,
    hospital_early_warning,
)
from services.benchmark.flags import compute_flags
from services.benchmark.scope import resolve_scope
from services.benchmark.snapshots import freeze
from services.core.errors import NotFound
from services.core.quarter import Quarter
from services.models import BenchmarkTarget, QcCenter
from tests.benchmark.conftest import GD, ZJ, admin, analyst, viewer
from tests.benchmark.world import add_hospital, add_values, indicator_ids, publish_catalogs
from tests.db import act_as_app

QUARTERS = [Quarter(y, q) for y in (2022, 2023) for q in (1, 2, 3, 4)]
Q4 = Quarter(2023, 4)
N = 500
# vaginal delivery complications (lower is better, NIT-2022-X.1 continues as NIT-2023-X.1), per quarter:
STEADY = [10] * 8
DRIFT = [11, 12, 13, 14, 15, 16, 17, 17]  # 2.2% → 3.4% against a 2% target: never outside a funnel limit
EARLIER = [12, 14, 16, 17, 18, 15, 15, 15]  # signals in 2023Q1, restarts, quiet by 2023Q4
TARGET = 0.02  # the QC center's target for the indicator: the CUSUM's expected rate


def _code(q: Quarter, suffix: str) -> str:
    return f"NIT-{q.year}-{suffix}"


@pytest.fixture
def series_world(owner_session):  # noqa: ANN001, ANN201
    session = owner_session
    publish_catalogs(session)
    hospitals = [add_hospital(session, ZJ, f"预警测试医院{i:02d}") for i in range(12)]
    other = add_hospital(session, GD, "广东预警医院")
    for i, h in enumerate(hospitals):
        events = DRIFT if i == 0 else EARLIER if i == 1 else STEADY
        for t, q in enumerate(QUARTERS):
            renumbered = "VII.1" if q.year == 2022 else "V.1"  # reporting rate, renumbered in 2023
            redefined = "V.1" if q.year == 2022 else "IX.1"  # VTE prophylaxis, redefined in 2023
            add_values(
                session,
                h,
                str(q),
                {
                    _code(q, "X.1"): (events[t], N),
                    _code(q, renumbered): (240, 10000),
                    _code(q, redefined): (70, 100),
                },
            )
    add_values(session, other, "2023Q4", {"NIT-2023-X.1": (10, N)})
    center = QcCenter(province_code=ZJ, level="provincial", name="浙江省医疗质量控制中心")
    session.add(center)
    session.flush()
    ids = indicator_ids(session)
    for code in ("NIT-2022-X.1", "NIT-2023-X.1"):
        session.add(
            BenchmarkTarget(
                qc_center_id=center.id, province_code=ZJ, indicator_id=ids[code], target=TARGET, set_by="t"
            )
        )
    session.flush()
    return session, hospitals, other


def _series(session, actor, hospital_id=None, quarter=Q4):  # noqa: ANN001, ANN202
    act_as_app(session, actor)
    scope = resolve_scope(session, actor, f"province:{ZJ}", quarter=quarter)
    return compute_series(session, actor, scope, quarter=quarter, hospital_id=hospital_id)


def _one(found, hospital_id, code):  # noqa: ANN001, ANN202
    return next(s for s in found if s.hospital_id == hospital_id and s.indicator.code == code)


def test_slow_drift_raises_an_early_warning_before_any_funnel_flag(series_world):
    session, hospitals, _ = series_world
    drifting = hospitals[0]
    for q in QUARTERS:  # no funnel alarm or alert in any quarter, under either rule
        act_as_app(session, analyst())
        scope = resolve_scope(session, analyst(), f"province:{ZJ}", quarter=q)
        _, flags = compute_flags(session, analyst(), scope, quarter=q, hospital_id=drifting.id)
        assert not [f for f in flags if f.kind in ("alarm", "alert") and f.indicator.code.endswith("X.1")]
    act_as_app(session, analyst())
    scope = resolve_scope(session, analyst(), f"province:{ZJ}", quarter=Q4)
    _, flags = compute_flags(session, analyst(), scope, quarter=Q4, early_warning=True)
    warned = [f for f in flags if f.kind == "early_warning"]
    assert [(f.hospital_id, f.indicator.code) for f in warned] == [(drifting.id, "NIT-2023-X.1")]
    reason = warned[0]
    assert "CUSUM" in reason.reason and "h = 5" in reason.reason and "早期预警" in reason.reason
    assert "odds ratio 2" in reason.reason_en and "restarts at 0" in reason.reason_en
    assert reason.evidence["rule"] == "cusum" and reason.evidence["since"] == "2022Q1"
    assert reason.evidence["statistic"] > 5.0 and reason.evidence["quarters"] == 8


def test_cusum_restarts_after_a_signal(series_world):
    session, hospitals, _ = series_world
    s = _one(_series(session, analyst()), hospitals[1].id, "NIT-2023-X.1")
    assert [str(p.quarter) for p, hit in zip(s.points, s.cusum.signal, strict=True) if hit] == ["2023Q1"]
    assert s.cusum.statistic[4] > 5.0 > 1.0 > s.cusum.statistic[5]  # 2023Q2 starts again from 0
    assert {p.expected_source for p in s.points} == {"qc_center"}
    assert not s.signal_now


def test_renumbered_goal_continues_its_series(series_world):
    session, hospitals, _ = series_world
    s = _one(_series(session, analyst()), hospitals[2].id, "NIT-2023-V.1")
    assert [p.indicator_code for p in s.points] == ["NIT-2022-VII.1"] * 4 + ["NIT-2023-V.1"] * 4
    assert s.restart_reason is None and str(s.starts) == "2021Q1"


def test_redefined_goal_restarts_its_series_and_says_so(series_world):
    session, hospitals, _ = series_world
    s = _one(_series(session, analyst()), hospitals[2].id, "NIT-2023-IX.1")
    assert [str(p.quarter) for p in s.points] == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    assert "2023Q1" in s.restart_reason[0] and "不可比" in s.restart_reason[0]
    assert "not comparable" in s.restart_reason[1]


def test_freeze_keeps_the_early_warning_for_notifications(series_world):
    session, hospitals, other = series_world
    act_as_app(session, admin())
    freeze(session, admin(), quarter=Q4, scope=f"province:{ZJ}")
    found = early_warnings_after_freeze(session, admin(), quarter=Q4, province=ZJ)
    assert [(w.hospital_id, w.indicator_code) for w in found] == [(hospitals[0].id, "NIT-2023-X.1")]
    assert found[0].statistic > found[0].h == 5.0 and "早期预警" in found[0].reason
    assert early_warnings_after_freeze(session, admin(), quarter=Quarter(2023, 3), province=ZJ) == []
    act_as_app(session, admin(GD))  # another province cannot read 浙江's snapshot
    with pytest.raises(NotFound):
        early_warnings_after_freeze(session, admin(GD), quarter=Q4, province=ZJ)


def test_hospital_user_reads_its_own_series_and_never_another_hospitals(series_world):
    session, hospitals, other = series_world
    me = viewer(hospitals[3])
    act_as_app(session, me)
    mine = hospital_early_warning(session, me, hospital_id=hospitals[3].id, quarter=Q4)
    assert mine["series"] and all(p["signal"] is False for s in mine["series"] for p in s["points"])
    with pytest.raises(NotFound):
        hospital_early_warning(session, me, hospital_id=hospitals[0].id, quarter=Q4)
    act_as_app(session, analyst())
    with pytest.raises(NotFound):  # another province's hospital
        hospital_early_warning(session, analyst(), hospital_id=other.id, quarter=Q4)
    # the series a hospital user gets is computed against the province, like the analyst's
    act_as_app(session, me)
    assert {s.hospital_id for s in _series(session, me)} == {hospitals[3].id}


def test_hospital_series_of_the_asked_indicator_only(series_world):
    """The hospital page asks for one indicator's chart: it gets that indicator's series, not the
    first of all of them (which is what it was shown before the indicator was passed on)."""
    session, hospitals, _ = series_world
    act_as_app(session, analyst())
    every = hospital_early_warning(session, analyst(), hospital_id=hospitals[0].id, quarter=Q4)
    codes = sorted(s["indicator_code"] for s in every["series"])
    assert len(codes) > 1
    for code in codes:
        asked = hospital_early_warning(
            session, analyst(), hospital_id=hospitals[0].id, quarter=Q4, indicator=code
        )
        assert [s["indicator_code"] for s in asked["series"]] == [code]
        assert asked["series"][0] == next(s for s in every["series"] if s["indicator_code"] == code)
