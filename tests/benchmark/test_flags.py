"""Laggard flags with reasons, and snapshots that later corrections do not rewrite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.benchmark.flags import compute_flags
from services.benchmark.laggards import laggards
from services.benchmark.scope import resolve_scope
from services.benchmark.snapshots import freeze, freeze_locked_windows
from services.core.errors import Conflict, NotFound, PermissionDenied
from services.core.quarter import Quarter
from services.models import BenchmarkSetting, QcCenter
from tests.benchmark.conftest import GD, ZJ, admin, analyst, viewer
from tests.benchmark.world import add_window, correct_value
from tests.db import act_as_app, act_as_owner

Q3 = Quarter(2023, 3)


def _flags(world, actor=None, **kw):  # noqa: ANN001, ANN202
    actor = actor or analyst()
    act_as_app(world.session, actor)
    scope = resolve_scope(world.session, actor, kw.pop("scope", None), quarter=Q3)
    _, flags = compute_flags(world.session, actor, scope, quarter=Q3, **kw)
    return flags


def _kinds(flags, hospital_id, code=None):  # noqa: ANN001, ANN202
    return {
        f.kind
        for f in flags
        if f.hospital_id == hospital_id and (code is None or (f.indicator and f.indicator.code == code))
    }


def test_laggard_gets_alarm_decile_persistent_and_deteriorating_with_reasons(world):
    flags = _flags(world)
    assert _kinds(flags, world.laggard.id, "NIT-2023-I.1") == {
        "alarm",
        "worst_decile",
        "persistent",
        "deteriorating",
    }
    alarm = next(f for f in flags if f.hospital_id == world.laggard.id and f.kind == "alarm")
    # the platform's default flag rule (stats.DEFAULT_FLAG_RULE) is fdr since issue 13: the words say so
    assert alarm.evidence["rule"] == "fdr" and "q < 0.0001 < 0.002" in alarm.reason
    assert (
        "99.8% 控制限" in alarm.reason
        and "低于" in alarm.reason
        and "判定规则：错误发现率 fdr" in alarm.reason
    )
    assert "below the centre" in alarm.reason_en and "99.8% control limit" in alarm.reason_en
    det = next(
        f
        for f in flags
        if f.hospital_id == world.laggard.id
        and f.kind == "deteriorating"
        and f.indicator.code == "NIT-2023-I.1"
    )
    assert "2022Q3" in det.reason and "百分点" in det.reason
    # the 3 h bundle follows the lineage to NIT-2022-VI.2 (80% → 60%)
    assert "deteriorating" in _kinds(flags, world.laggard.id, "NIT-2023-VIII.1")


def test_small_denominator_is_never_flagged(world):
    assert not _kinds(_flags(world), world.hospitals[11].id, "NIT-2023-I.1")


def test_minimum_denominator_is_configurable_per_qc_center(world):
    session = world.session
    center = QcCenter(province_code=ZJ, level="provincial", name="浙江省医疗质量控制中心")
    session.add(center)
    session.flush()
    session.add(
        BenchmarkSetting(qc_center_id=center.id, province_code=ZJ, min_denominator=200, updated_by="t")
    )
    session.flush()
    flags = _flags(world)
    assert not [
        f
        for f in flags
        if f.kind in ("alarm", "alert", "worst_decile") and f.indicator.code == "NIT-2023-I.1"
    ]
    assert "worst_decile" in _kinds(flags, world.laggard.id, "NIT-2023-V.1")  # n = 10000 stays assessed


def test_missing_flags_hospitals_without_a_submission(world):
    flags = _flags(world)
    missing = {f.hospital_id for f in flags if f.kind == "missing"}
    assert missing == {world.hospitals[12].id, world.hospitals[13].id}
    reason = next(f.reason for f in flags if f.kind == "missing")
    assert "未提交" in reason and "2023Q3" in reason


def test_hospital_viewer_sees_only_its_own_flags(world):
    flags = _flags(world, viewer(world.laggard))
    assert flags and {f.hospital_id for f in flags} == {world.laggard.id}
    assert not _flags(world, viewer(world.hospitals[3]))


def test_freeze_records_data_version_and_later_corrections_do_not_rewrite_it(world):
    session = world.session
    act_as_app(session, admin())
    snap = freeze(session, admin(), quarter=Q3, scope=f"province:{ZJ}")
    assert snap.data_version > 0 and len(snap.data_hash) == 64 and snap.trigger == "manual"
    before = laggards(session, admin(), quarter=Q3)
    assert before["frozen"] is True and before["data_version"] == snap.data_version
    assert any(f["kind"] == "alarm" and f["hospital_id"] == world.laggard.id for f in before["flags"])
    act_as_owner(session)
    header = next(h for h in _headers(session, world.laggard.id) if h.quarter == "2023Q3")
    correct_value(session, header, "NIT-2023-I.1", 70, 100)
    act_as_app(session, admin())
    frozen = laggards(session, admin(), quarter=Q3)
    live = laggards(session, admin(), quarter=Q3, live=True)
    assert frozen["flags"] == before["flags"]
    assert not any(f["kind"] == "alarm" and f["hospital_id"] == world.laggard.id for f in live["flags"])
    with pytest.raises(Conflict):
        freeze(session, admin(), quarter=Q3, scope=f"province:{ZJ}")


def _headers(session, hospital_id):  # noqa: ANN001, ANN202
    from sqlalchemy import select

    from services.models import Submission

    return session.scalars(select(Submission).where(Submission.hospital_id == hospital_id)).all()


def test_only_admins_freeze_and_only_their_province(world):
    act_as_app(world.session, analyst())
    with pytest.raises(PermissionDenied):
        freeze(world.session, analyst(), quarter=Q3)
    act_as_app(world.session, admin(GD))
    with pytest.raises(NotFound):
        freeze(world.session, admin(GD), quarter=Q3, scope=f"province:{ZJ}")


def test_locked_window_is_frozen_by_the_scheduler(world):
    add_window(
        world.session,
        ZJ,
        "2023Q3",
        due=datetime(2023, 10, 15, tzinfo=UTC),
        locks=datetime(2023, 10, 31, tzinfo=UTC),
    )
    act_as_app(world.session, admin())
    done = freeze_locked_windows(world.session, admin(), now=datetime(2023, 11, 1, tzinfo=UTC))
    assert (f"province:{ZJ}", "2023Q3", "window_lock") in [(s.scope, s.quarter, s.trigger) for s in done]
    assert {s.province_code for s in done} == {ZJ}  # a provincial admin freezes only its own province
    assert freeze_locked_windows(world.session, admin(), now=datetime(2023, 11, 2, tzinfo=UTC)) == []


def test_default_window_locks_45_days_after_the_quarter(world):
    act_as_app(world.session, admin())
    early = freeze_locked_windows(world.session, admin(), now=datetime(2023, 11, 10, tzinfo=UTC))
    assert "2023Q3" not in [s.quarter for s in early] and "2023Q2" in [s.quarter for s in early]
    done = freeze_locked_windows(world.session, admin(), now=datetime(2023, 11, 16, tzinfo=UTC))
    assert [s.quarter for s in done] == ["2023Q3"]


def _keyed(flags):  # noqa: ANN001, ANN202
    return sorted((f.hospital_id, f.kind, f.indicator.code if f.indicator else None, f.reason) for f in flags)


def test_one_hospitals_flags_equal_its_share_of_the_whole_computation(world):
    every = _flags(world)
    for hospital in (world.laggard, world.hospitals[12], world.hospitals[3]):
        only = _flags(world, hospital_id=hospital.id)
        assert _keyed(only) == _keyed([f for f in every if f.hospital_id == hospital.id])
    assert _keyed(_flags(world, hospital_id=world.laggard.id))  # the laggard has flags of every kind


def test_laggards_for_one_hospital_live_and_frozen(world):
    session = world.session
    act_as_app(session, analyst())
    live = laggards(session, analyst(), quarter=Q3, scope=f"province:{ZJ}", hospital_id=world.laggard.id)
    assert (
        live["flags"]
        and {f["hospital_id"] for f in live["flags"]} == {world.laggard.id}
        and not live["frozen"]
    )
    act_as_app(session, admin())
    freeze(session, admin(), quarter=Q3, scope=f"province:{ZJ}")
    act_as_app(session, analyst())
    frozen = laggards(session, analyst(), quarter=Q3, scope=f"province:{ZJ}", hospital_id=world.laggard.id)
    assert frozen["frozen"]
    assert sorted((f["kind"], f["indicator_code"], f["reason"]) for f in frozen["flags"]) == sorted(
        (f["kind"], f["indicator_code"], f["reason"]) for f in live["flags"]
    )


def test_hospital_user_asking_for_another_hospitals_flags_gets_none(world):
    session = world.session
    me = viewer(world.hospitals[3])
    act_as_app(session, me)
    found = laggards(session, me, quarter=Q3, scope=f"province:{ZJ}", hospital_id=world.laggard.id)
    assert found["flags"] == []


def test_laggards_are_most_severe_first_and_top_keeps_the_total(world):
    session = world.session
    act_as_app(session, analyst())
    every = laggards(session, analyst(), quarter=Q3, scope=f"province:{ZJ}")
    kinds = [f["kind"] for f in every["flags"]]
    order = ["alarm", "alert", "worst_decile", "persistent", "deteriorating", "missing"]
    assert kinds == sorted(kinds, key=order.index) and every["total"] == len(every["flags"]) > 5
    top = laggards(session, analyst(), quarter=Q3, scope=f"province:{ZJ}", top=5)
    assert top["flags"] == every["flags"][:5] and top["total"] == every["total"]
    act_as_app(session, admin())
    freeze(session, admin(), quarter=Q3, scope=f"province:{ZJ}")
    act_as_app(session, analyst())
    frozen = laggards(session, analyst(), quarter=Q3, scope=f"province:{ZJ}", top=5)
    # a frozen snapshot also holds the early warnings (CUSUM over the quarterly series), which a live
    # province-wide list does not compute (services/benchmark/flags.py); the laggard has one
    whole = laggards(session, analyst(), quarter=Q3, scope=f"province:{ZJ}")["flags"]
    warned = [f for f in whole if f["kind"] == "early_warning"]
    # (not the tiny hospital: 0 of 5 each quarter is below the minimum denominator, never assessed)
    assert [f["hospital_id"] for f in warned] == [world.laggard.id], [f["reason"] for f in warned]
    assert frozen["frozen"] and frozen["total"] == every["total"] + len(warned)
    assert [(f["hospital_id"], f["kind"], f["indicator_code"]) for f in frozen["flags"]] == [
        (f["hospital_id"], f["kind"], f["indicator_code"]) for f in top["flags"]
    ]
