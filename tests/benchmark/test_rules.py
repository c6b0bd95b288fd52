"""Issue 13 as a QC center sees it: flags a statistician would sign.

Exact limits for rare events, Poisson funnels for rates per N, the FDR rule, over-dispersion shown
and switchable, minimum denominators per unit, O/E by peer profile for the province that turned it
on only, frozen snapshots that record the rules.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.benchmark import baselines
from services.benchmark import settings as benchmark_settings
from services.benchmark.benchmarks import benchmark
from services.benchmark.flags import compute_flags
from services.benchmark.scope import resolve_scope
from services.benchmark.snapshots import freeze
from services.benchmark.views import report_json, table_rows
from services.core.actor import Actor, Role
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.models import QcCenter, SubmissionValue
from tests.benchmark.conftest import GD, ZJ, admin, analyst
from tests.benchmark.world import add_hospital, add_values, publish_catalogs
from tests.db import act_as_app, act_as_owner

Q3 = Quarter(2023, 3)
JS = "320000"  # a province of its own for the worlds built here


def center(session, province: str | None) -> QcCenter:  # noqa: ANN001
    act_as_owner(session)
    found = session.scalars(
        select(QcCenter).where(
            QcCenter.province_code.is_(None) if province is None else QcCenter.province_code == province,
            QcCenter.specialty_code.is_(None),
        )
    ).first()
    if found is None:
        level = "national" if province is None else "provincial"
        found = QcCenter(province_code=province, level=level, name=f"{province or '国家'}质控中心")
        session.add(found)
        session.flush()
    return found


def province_world(session, values: list[dict[str, tuple[int, int]]], *, province: str = JS) -> list:  # noqa: ANN001
    """One hospital per entry of ``values`` in ``province``, 2023Q3, approved."""
    publish_catalogs(session)
    hospitals = []
    for i, vals in enumerate(values):
        h = add_hospital(session, province, f"规则测试医院{i:03d}")
        add_values(session, h, "2023Q3", vals)
        hospitals.append(h)
    return hospitals


def flags_of(session, actor: Actor, province: str = JS) -> list:  # noqa: ANN001
    act_as_app(session, actor)
    scope = resolve_scope(session, actor, f"province:{province}", quarter=Q3)
    return compute_flags(session, actor, scope, quarter=Q3)[1]


def set_rules(session, province: str, **changes) -> None:  # noqa: ANN001
    c = center(session, province)
    act_as_app(session, admin(province))
    benchmark_settings.update_settings(session, admin(province), qc_center_id=c.id, changes=changes)


def one(session, actor: Actor, indicator: str, province: str = JS) -> dict:  # noqa: ANN001
    act_as_app(session, actor)
    report = benchmark(session, actor, quarter=Q3, scope=f"province:{province}", indicator=indicator)
    return report_json(report)["indicators"][0]


RARE = "NIT-2023-IV.1"  # 住院患者手术当日死亡率, lower is better


def test_one_death_in_300_of_a_rare_indicator_is_no_alert_under_either_rule(owner_session):
    # pooled 0.05%: the normal approximation gave z ≈ 2.2 (an alert); exactly, P(X ≥ 1) ≈ 0.14
    hospitals = province_world(owner_session, [{RARE: (1, 2000)} for _ in range(40)] + [{RARE: (1, 300)}])
    suspect = hospitals[-1].id
    for rule in ("limits", "fdr"):
        set_rules(owner_session, JS, flag_rule=rule)
        flags = flags_of(owner_session, analyst(JS))
        assert not [f for f in flags if f.hospital_id == suspect and f.kind != "missing"], rule
        row = next(
            r for r in one(owner_session, analyst(JS), RARE)["hospitals"] if r["hospital_id"] == suspect
        )
        assert row["signal"] == "none" and row["flag_signal"] == "none"


CLABSI = "PIT-2023-15.1"  # 血管内导管相关血流感染发生率, 每千导管日, lower is better


def test_catheter_day_rate_flags_a_clearly_excessive_rate_and_ignores_tiny_exposure(owner_session):
    values = [{CLABSI: (2 + i % 3, 2000)} for i in range(20)] + [{CLABSI: (20, 2000)}, {CLABSI: (1, 10)}]
    hospitals = province_world(owner_session, values)
    excessive, tiny = hospitals[-2].id, hospitals[-1].id
    flags = flags_of(owner_session, analyst(JS))
    kinds = {f.kind for f in flags if f.hospital_id == excessive}
    assert "alarm" in kinds  # 10‰ against about 1.5‰
    alarm = next(f for f in flags if f.hospital_id == excessive and f.kind == "alarm")
    assert alarm.evidence["measure"] == "rate" and "每千导管日" in alarm.reason and "高于" in alarm.reason
    assert not [f for f in flags if f.hospital_id == tiny]  # 1 in 10 catheter-days is not assessed
    ind = one(owner_session, analyst(JS), CLABSI)
    assert ind["measure"] == "rate" and ind["min_denominator"] == 1000
    row = next(r for r in ind["hospitals"] if r["hospital_id"] == tiny)
    assert row["signal"] == "insufficient" and row["percentile_rank"] is None


BUNDLE = "NIT-2023-I.1"  # higher is better


def _one_modest_laggard(session) -> int:  # noqa: ANN001
    # 20 hospitals at 70%, one at 56/100: one-sided p ≈ 0.003, outside the 95% limit, but one of 21
    # tests: its Benjamini–Hochberg q is p × 21 ≈ 0.06 > 0.05
    hospitals = province_world(session, [{BUNDLE: (70, 100)} for _ in range(20)] + [{BUNDLE: (56, 100)}])
    return hospitals[-1].id


def test_the_fdr_setting_changes_the_flags_and_each_flag_names_its_rule(owner_session):
    laggard = _one_modest_laggard(owner_session)
    set_rules(owner_session, JS, flag_rule="limits", overdispersion="off")
    by_limits = [f for f in flags_of(owner_session, analyst(JS)) if f.hospital_id == laggard]
    alert = next(f for f in by_limits if f.kind in ("alert", "alarm"))
    assert alert.evidence["rule"] == "limits" and "判定规则：控制限 limits" in alert.reason
    assert "Rule: the funnel's control limits (limits)" in alert.reason_en
    set_rules(owner_session, JS, flag_rule="fdr")
    by_fdr = [f for f in flags_of(owner_session, analyst(JS)) if f.hospital_id == laggard]
    assert not [f for f in by_fdr if f.kind in ("alert", "alarm")]
    row = next(r for r in one(owner_session, analyst(JS), BUNDLE)["hospitals"] if r["hospital_id"] == laggard)
    assert row["signal"] in ("worse_95", "worse_998") and row["flag_signal"] == "none" and row["q"] > 0.05


def test_a_flag_under_fdr_says_fdr_in_evidence_and_words(owner_session):
    hospitals = province_world(
        owner_session, [{BUNDLE: (70, 100)} for _ in range(20)] + [{BUNDLE: (30, 100)}]
    )
    set_rules(owner_session, JS, flag_rule="fdr")
    alarm = next(f for f in flags_of(owner_session, analyst(JS)) if f.hospital_id == hospitals[-1].id)
    assert alarm.kind == "alarm" and alarm.evidence["rule"] == "fdr" and alarm.evidence["q"] < 0.002
    assert "错误发现率 fdr" in alarm.reason and "false discovery rate (fdr" in alarm.reason_en


def _overdispersed(session) -> None:  # noqa: ANN001
    rates = [40, 50, 55, 60, 62, 65, 68, 70, 72, 75, 78, 80, 85, 90, 95]
    province_world(session, [{BUNDLE: (r * 5, 500)} for r in rates])


def test_overdispersion_is_on_by_default_and_a_province_admin_turns_it_off_with_phi_still_shown(
    owner_session,
):
    _overdispersed(owner_session)
    center(owner_session, JS)
    auto = one(owner_session, analyst(JS), BUNDLE)
    assert auto["overdispersion_recommended"] and auto["overdispersion_applied"]
    assert auto["phi"] > 1 and auto["tau2"] > 0
    set_rules(owner_session, JS, overdispersion="off")
    off = one(owner_session, analyst(JS), BUNDLE)
    assert not off["overdispersion_applied"] and off["overdispersion_recommended"]
    assert off["phi"] == pytest.approx(auto["phi"]) and off["tau2"] == pytest.approx(auto["tau2"])
    act_as_app(owner_session, analyst(JS))
    rows = table_rows(
        benchmark(owner_session, analyst(JS), quarter=Q3, scope=f"province:{JS}", indicator=BUNDLE)
    )
    assert rows[0]["phi"] == pytest.approx(off["phi"]) and rows[0]["overdispersion_applied"] is False


def test_minimum_denominator_per_unit_is_the_qc_centers_own(owner_session):
    values = [{CLABSI: (2, 800), BUNDLE: (70, 100)} for _ in range(12)]
    province_world(owner_session, values)
    assert one(owner_session, analyst(JS), CLABSI)["hospitals_assessed"] == 0  # platform default 1000
    set_rules(owner_session, JS, min_denominator_by_unit={"每千导管日": 500})
    assert one(owner_session, analyst(JS), CLABSI)["hospitals_assessed"] == 12
    assert one(owner_session, analyst(JS), BUNDLE)["min_denominator"] == 10  # other units keep theirs


def test_only_admins_change_settings_and_another_province_cannot_read_or_change_them(owner_session):
    c = center(owner_session, ZJ)
    act_as_app(owner_session, analyst())
    with pytest.raises(PermissionDenied):
        benchmark_settings.update_settings(
            owner_session, analyst(), qc_center_id=c.id, changes={"flag_rule": "fdr"}
        )
    act_as_app(owner_session, admin(GD))
    with pytest.raises(NotFound):
        benchmark_settings.read_settings(owner_session, admin(GD), qc_center_id=c.id)
    with pytest.raises(NotFound):
        benchmark_settings.update_settings(
            owner_session, admin(GD), qc_center_id=c.id, changes={"flag_rule": "fdr"}
        )
    act_as_app(owner_session, admin())
    with pytest.raises(ValidationFailed):
        benchmark_settings.update_settings(
            owner_session, admin(), qc_center_id=c.id, changes={"flag_rule": "z"}
        )


def test_a_rate_that_fell_is_deteriorating_by_its_exact_rate_ratio(owner_session):
    # adverse-event reporting per 100 discharges (higher is better): 3.0 → 1.0 per 100
    hospitals = province_world(owner_session, [{"NIT-2023-V.1": (250, 10000)} for _ in range(10)])
    for i, h in enumerate(hospitals):
        add_values(owner_session, h, "2022Q3", {"NIT-2022-VII.1": (300 if i == 0 else 250, 10000)})
    act_as_owner(owner_session)
    first = owner_session.scalars(
        select(SubmissionValue).where(
            SubmissionValue.hospital_id == hospitals[0].id, SubmissionValue.numerator == 250
        )
    ).one()
    first.numerator = 100
    owner_session.flush()
    flags = flags_of(owner_session, analyst(JS))
    det = next(f for f in flags if f.hospital_id == hospitals[0].id and f.kind == "deteriorating")
    assert det.evidence["method"] == "rate_ratio_exact_conditional" and det.evidence["rate_ratio"][0] < 0.5
    assert "率比 0.33" in det.reason and "精确条件法" in det.reason and "exact conditional" in det.reason_en


# ---------------------------------------------------------------- O/E by peer profile


def _baseline_world(session):  # noqa: ANN001
    """浙江 with 2022Q3 (the baseline year) and 2023Q3: 三级综合 at 70% in 2022, 二级 at 50%."""
    publish_catalogs(session)
    tertiary = [add_hospital(session, ZJ, f"浙江三级{i}") for i in range(10)]
    secondary = [add_hospital(session, ZJ, f"浙江二级{i}", level="二级") for i in range(5)]
    guangdong = [add_hospital(session, GD, f"广东医院{i}") for i in range(3)]
    for h in tertiary:
        add_values(session, h, "2022Q3", {"NIT-2022-I.1": (70, 100)})
        add_values(session, h, "2023Q3", {BUNDLE: (70, 100)})
    for h in secondary:
        add_values(session, h, "2022Q3", {"NIT-2022-I.1": (50, 100)})
        add_values(session, h, "2023Q3", {BUNDLE: (50, 100)})
    for h in guangdong:
        add_values(session, h, "2023Q3", {BUNDLE: (60, 100)})
    return tertiary, secondary, guangdong


def test_oe_by_peer_profile_names_its_baseline_for_the_province_that_turned_it_on_only(owner_session):
    tertiary, secondary, _ = _baseline_world(owner_session)
    specialist = add_hospital(owner_session, ZJ, "浙江专科医院", kind="专科")  # a profile without baseline
    add_values(owner_session, specialist, "2023Q3", {BUNDLE: (60, 100)})
    zj = center(owner_session, ZJ)
    act_as_app(owner_session, admin())
    baselines.set_baseline(
        owner_session, admin(), qc_center_id=zj.id, indicator_code=BUNDLE, year=2022, scope="province"
    )
    ind = one(owner_session, analyst(), BUNDLE, ZJ)
    oe = ind["oe"]
    assert oe["baseline"]["year"] == 2022 and oe["baseline"]["scope"] == "province"
    assert oe["baseline"]["profile"] == "level_type" and "2022" in oe["baseline"]["label"]
    assert "级别×类型" in oe["baseline"]["label"] and "level × type" in oe["baseline"]["label_en"]
    rows = {r["hospital_id"]: r for r in ind["hospitals"]}
    # a 二级 hospital at 50% is as expected for its profile: O/E 1, although its crude rate is low
    low = rows[secondary[0].id]
    assert low["expected"] == pytest.approx(50) and low["oe"] == pytest.approx(1.0)
    assert low["oe_signal"] == "none" and low["oe_ci95_low"] < 1 < low["oe_ci95_high"]
    assert rows[tertiary[0].id]["expected"] == pytest.approx(70) and rows[tertiary[0].id]["oe_own_profile"]
    alone = rows[specialist.id]  # no baseline for 三级专科: no expected count, not assessed
    assert alone["expected"] is None and alone["oe"] is None and alone["oe_signal"] == "insufficient"
    assert not alone["oe_own_profile"] and oe["hospitals_without_baseline"] == 1
    # 广东 did not turn it on: no ratio there
    assert one(owner_session, analyst(GD), BUNDLE, GD)["oe"] is None


def test_another_province_cannot_read_or_change_a_provinces_baseline(owner_session):
    _baseline_world(owner_session)
    zj = center(owner_session, ZJ)
    act_as_app(owner_session, admin())
    baselines.set_baseline(
        owner_session, admin(), qc_center_id=zj.id, indicator_code=BUNDLE, year=2022, scope="province"
    )
    act_as_app(owner_session, admin(GD))
    with pytest.raises(NotFound):
        baselines.list_baselines(owner_session, admin(GD), qc_center_id=zj.id)
    with pytest.raises(NotFound):
        baselines.set_baseline(
            owner_session, admin(GD), qc_center_id=zj.id, indicator_code=BUNDLE, year=2022, scope="province"
        )
    with pytest.raises(NotFound):
        baselines.remove_baseline(owner_session, admin(GD), qc_center_id=zj.id, indicator_code=BUNDLE)
    # row-level security underneath: 广东's transaction sees no 浙江 baseline row at all
    from services.models.benchmark import BenchmarkBaseline

    assert owner_session.scalars(select(BenchmarkBaseline)).all() == []
    act_as_app(owner_session, analyst())
    assert [
        b["indicator"] for b in baselines.list_baselines(owner_session, analyst(), qc_center_id=zj.id)
    ] == [BUNDLE]


def test_a_province_takes_a_national_baseline_only_as_the_national_center_published_it(owner_session):
    _baseline_world(owner_session)
    zj = center(owner_session, ZJ)
    act_as_app(owner_session, admin())
    with pytest.raises(ValidationFailed):
        baselines.set_baseline(
            owner_session, admin(), qc_center_id=zj.id, indicator_code=BUNDLE, year=2022, scope="national"
        )
    nation = center(owner_session, None)
    boss = Actor(subject="nation-admin", roles=frozenset({Role.NATIONAL_ADMIN}))
    act_as_app(owner_session, boss)
    baselines.set_baseline(
        owner_session, boss, qc_center_id=nation.id, indicator_code=BUNDLE, year=2022, scope="national"
    )
    act_as_app(owner_session, admin())
    row = baselines.set_baseline(
        owner_session, admin(), qc_center_id=zj.id, indicator_code=BUNDLE, year=2022, scope="national"
    )
    assert row.baseline_scope == "national" and row.rates


def test_oe_is_refused_for_means_and_for_a_year_that_is_not_earlier(owner_session):
    _baseline_world(owner_session)
    zj = center(owner_session, ZJ)
    act_as_app(owner_session, admin())
    with pytest.raises(ValidationFailed):
        baselines.set_baseline(
            owner_session,
            admin(),
            qc_center_id=zj.id,
            indicator_code="NIT-2023-VI.3",
            year=2022,
            scope="province",
        )
    with pytest.raises(ValidationFailed):
        baselines.set_baseline(
            owner_session, admin(), qc_center_id=zj.id, indicator_code=BUNDLE, year=2023, scope="province"
        )


def test_baseline_rates_do_not_move_when_old_data_are_corrected_later(owner_session):
    tertiary, _, _ = _baseline_world(owner_session)
    zj = center(owner_session, ZJ)
    act_as_app(owner_session, admin())
    baselines.set_baseline(
        owner_session, admin(), qc_center_id=zj.id, indicator_code=BUNDLE, year=2022, scope="province"
    )
    before = one(owner_session, analyst(), BUNDLE, ZJ)["hospitals"][0]["expected"]
    act_as_owner(owner_session)
    for v in owner_session.scalars(
        select(SubmissionValue).where(SubmissionValue.hospital_id == tertiary[0].id)
    ):
        if v.denominator == 100 and v.numerator == 70:
            v.numerator = 10
    owner_session.flush()
    assert one(owner_session, analyst(), BUNDLE, ZJ)["hospitals"][0]["expected"] == before


# ---------------------------------------------------------------- snapshots


def test_a_frozen_snapshot_records_the_rules_that_raised_its_flags(owner_session):
    hospitals = province_world(
        owner_session, [{BUNDLE: (70, 100)} for _ in range(20)] + [{BUNDLE: (30, 100)}], province=ZJ
    )
    set_rules(owner_session, ZJ, flag_rule="limits", overdispersion="off")
    act_as_app(owner_session, admin())
    snap = freeze(owner_session, admin(), quarter=Q3, scope=f"province:{ZJ}")
    assert snap.rules["flag_rule"] == "limits" and snap.rules["overdispersion"] == "off"
    assert snap.rules["limits"]["proportion"] == "exact_binomial"
    assert snap.rules["min_denominator_by_unit"]["%"] == 10
    from services.benchmark.laggards import laggards

    frozen = laggards(owner_session, admin(), quarter=Q3, scope=f"province:{ZJ}")
    assert frozen["frozen"] and frozen["rules"]["flag_rule"] == "limits"
    alarm = next(f for f in frozen["flags"] if f["hospital_id"] == hospitals[-1].id and f["kind"] == "alarm")
    assert alarm["rule"] == "limits" and "判定规则：控制限 limits" in alarm["reason"]


def test_rollups_put_provinces_on_a_rate_funnel_and_count_laggards_by_the_flag_rule(owner_session):
    from services.benchmark.rollups import rollup
    from tests.benchmark.conftest import national

    values = [{CLABSI: (2 + i % 3, 2000)} for i in range(20)] + [{CLABSI: (20, 2000)}]
    province_world(owner_session, values)
    act_as_app(owner_session, national())
    ind = rollup(owner_session, national(), quarter=Q3, indicator=CLABSI)["indicators"][0]
    assert ind["province_funnel"]["applicable"] and ind["province_funnel"]["measure"] == "rate"
    js = next(p for p in ind["provinces"] if p["province_code"] == JS)
    assert js["laggards"] == 1  # the 10‰ hospital, under the default rule
