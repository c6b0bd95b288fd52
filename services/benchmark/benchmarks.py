"""Benchmarks: per indicator × quarter × scope, the distribution and every hospital's place in it.

Proportions and rates per N (kind ``rate``: events per discharge, per catheter-day …) get the full
funnel from ``stats.funnel`` (proportions: exact binomial limits; rates: Poisson limits; intervals at
95% / 99.8%, z, the signal by the limits and by Benjamini–Hochberg q-values, φ/τ²). Means (kind
``ratio``) get only their value: no funnel, signal ``not_applicable`` (docs/benchmarking.md).

The QC center's settings decide the minimum denominator (per indicator unit), the flag rule
(``limits`` | ``fdr``: which signal flags use, ``flag_signal``) and over-dispersion (``auto``:
adjusted limits when ``stats.overdispersion_detected`` says the data show it; ``off``). Where the
center turned O/E on for an indicator, the benchmark also carries observed / expected by peer
profile (``baselines.py``, ``expected.py``). Every kind gets pooled rate, percentiles and a
direction-aware rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from sqlalchemy.orm import Session

from services.benchmark import cache, stats
from services.benchmark.baselines import Baseline, effective_baselines
from services.benchmark.expected import ObservedExpected, hospital_profiles, observed_expected
from services.benchmark.queries import (
    IndicatorInfo,
    ValueArrays,
    expected_hospitals,
    hospital_labels,
    indicators_of_year,
    statuses,
    value_arrays,
)
from services.benchmark.scope import BenchmarkScope, distribution_view, resolve_scope
from services.benchmark.settings import EffectiveSettings, effective_settings
from services.core.actor import Actor
from services.core.errors import NotFound
from services.core.quarter import Quarter

UNIT_FIELDS = (
    "rate",
    "ci95_low",
    "ci95_high",
    "ci998_low",
    "ci998_high",
    "limit95_low",
    "limit95_high",
    "limit998_low",
    "limit998_high",
)


@dataclass
class IndicatorBenchmark:
    """One indicator's benchmark. Per-unit values are arrays aligned with ``hospital_id``;
    rates are fractions (multiply by ``indicator.multiplier`` to display)."""

    indicator: IndicatorInfo
    hospitals_expected: int
    not_applicable: int
    min_denominator: int
    hospital_id: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    units: dict[str, np.ndarray]
    signal: np.ndarray
    rank: np.ndarray
    pooled: float
    percentiles: dict[int, float]
    target: float | None = None
    target_source: str = "pooled"
    phi: float | None = None
    tau2: float | None = None
    overdispersion_applied: bool = False
    overdispersion_recommended: bool = False
    measure: str | None = None  # proportion | rate; None: no funnel (means)
    limits_method: str | None = None
    flag_rule: str = "limits"
    flag_signal: np.ndarray | None = None  # the signal flags use (by the limits or by q-values)
    q: np.ndarray | None = None  # Benjamini–Hochberg q-value towards the worse side
    oe: ObservedExpected | None = None

    def __post_init__(self) -> None:
        if self.flag_signal is None:
            self.flag_signal = self.signal

    @property
    def flag_signals(self) -> np.ndarray:
        """``flag_signal`` (always set by ``__post_init__``), typed without its None."""
        return self.signal if self.flag_signal is None else self.flag_signal

    @property
    def reporting(self) -> int:
        return int(self.hospital_id.size)

    @property
    def no_cases(self) -> int:
        return int((self.denominator == 0).sum())

    @property
    def eligible(self) -> np.ndarray:
        return (self.denominator > 0) & (self.denominator >= self.min_denominator)

    @property
    def missing(self) -> int:
        return max(0, self.hospitals_expected - self.not_applicable - self.reporting)


@dataclass
class BenchmarkReport:
    quarter: Quarter
    scope: BenchmarkScope
    statuses: tuple[str, ...]
    settings: EffectiveSettings
    overdispersion: str  # auto | off (the QC center's setting) | on (asked for)
    indicators: list[IndicatorBenchmark] = field(default_factory=list)
    labels: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def data_note(self) -> str:
        if "submitted" in self.statuses:
            return "含已提交但尚未审核通过的数据 / includes submitted data not yet approved"
        return "仅含审核通过的数据 / approved data only"

    @property
    def rules(self) -> dict[str, Any]:
        """The rules in force for these indicators (answers and frozen snapshots state them)."""
        described = self.settings.describe([b.indicator.unit for b in self.indicators])
        return {**described, "overdispersion": self.overdispersion, "limits": self.limits_methods}

    @property
    def limits_methods(self) -> dict[str, str]:
        """Measure → the limits used (e.g. proportion: exact_binomial, rate: poisson_exact_byar)."""
        return {b.measure: b.limits_method for b in self.indicators if b.measure and b.limits_method}


def _nan(size: int) -> np.ndarray:
    return np.full(size, np.nan)


MEASURES = {"proportion": "proportion", "rate": "rate"}  # catalog kind → funnel measure
OVERDISPERSION_ARGUMENT: dict[str, bool | str] = {
    "auto": "auto",
    "on": True,
    "off": False,
}  # mode → stats.funnel's argument


def _funnel(
    info: IndicatorInfo, values: ValueArrays, settings: EffectiveSettings, overdispersion: str, minimum: int
) -> dict[str, Any]:
    """Funnel of a proportion or a rate per N under the QC center's rules."""
    target = settings.targets.get(info.id)
    size = values.numerator.size
    if target is None and not (values.denominator > 0).any():  # nothing to centre a funnel on
        return dict(
            units={name: _nan(size) for name in (*UNIT_FIELDS, "z")},
            signal=np.full(size, "insufficient", dtype=object),
            q=_nan(size),
            flag_rule=settings.flag_rule,
        )
    result = stats.funnel(
        values.hospital_id,
        values.numerator,
        values.denominator,
        measure=MEASURES[info.kind],
        target=target,
        direction=cast(stats.Direction, info.direction),  # the catalog allows only higher | lower
        min_denominator=minimum,
        overdispersion=OVERDISPERSION_ARGUMENT[overdispersion],
    )
    rule = settings.flag_rule
    return dict(
        units={name: getattr(result, name) for name in (*UNIT_FIELDS, "z")},
        signal=result.signal,
        flag_signal=result.signal_fdr if rule == "fdr" else result.signal,
        flag_rule=rule,
        q=result.q_worse,
        target=result.target,
        target_source="qc_center" if target is not None else "pooled",
        phi=result.phi,
        tau2=result.tau2,
        overdispersion_applied=result.overdispersion,
        overdispersion_recommended=bool(result.dispersion_beyond_chance),
        measure=result.measure,
        limits_method=result.limits_method,
    )


def _mean(values: ValueArrays, minimum: int, rule: str) -> dict[str, Any]:
    """A mean without its spread: its value only, no honest interval (docs/methods.md §3)."""
    x, n = values.numerator, values.denominator
    units = {name: _nan(x.size) for name in (*UNIT_FIELDS, "z")}
    with np.errstate(divide="ignore", invalid="ignore"):
        units["rate"] = np.where(n > 0, x / n, np.nan)
    signal = np.where((n > 0) & (n >= minimum), "not_applicable", "insufficient").astype(object)
    return dict(units=units, signal=signal, flag_rule=rule)


def compute_indicator(
    info: IndicatorInfo,
    values: ValueArrays,
    settings: EffectiveSettings,
    *,
    expected: int = 0,
    not_applicable: int = 0,
    overdispersion: bool | None = None,
    baseline: Baseline | None = None,
    profiles: dict[int, str] | None = None,
) -> IndicatorBenchmark:
    """Pure: the benchmark of one indicator from its value arrays (no database).

    ``overdispersion``: None follows the QC center's setting (``auto`` | ``off``); True / False
    asks for the adjustment or for none. ``baseline``: O/E by peer profile (``profiles``: hospital
    id → profile key)."""
    x, n = values.numerator, values.denominator
    mode = overdispersion_mode(settings, overdispersion)
    minimum = settings.min_denominator_for(info.unit)
    parts = (
        _funnel(info, values, settings, mode, minimum)
        if info.kind in MEASURES
        else _mean(values, minimum, settings.flag_rule)
    )
    if baseline is not None and info.kind in MEASURES:
        parts["oe"] = observed_expected(
            info, values, baseline, profiles or {}, min_denominator=minimum, overdispersion=mode
        )
    rank = stats.percentile_rank(
        x, n, direction=cast(stats.Direction, info.direction), min_denominator=minimum
    )
    percentiles = stats.rate_percentiles(x, n, min_denominator=minimum)
    total = float(n[n > 0].sum())
    pooled = float(x[n > 0].sum()) / total if total > 0 else float("nan")
    return IndicatorBenchmark(
        indicator=info,
        hospitals_expected=max(expected, x.size),
        not_applicable=not_applicable,
        min_denominator=minimum,
        hospital_id=values.hospital_id,
        numerator=x,
        denominator=n,
        rank=rank,
        pooled=pooled,
        percentiles=percentiles,
        **parts,
    )


def overdispersion_mode(settings: EffectiveSettings, asked: bool | None) -> str:
    """``auto`` | ``off`` from the QC center's setting, or ``on`` / ``off`` when asked explicitly."""
    if asked is None:
        return settings.overdispersion
    return "on" if asked else "off"


def _empty(size: int = 0) -> ValueArrays:
    return ValueArrays(
        np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
    )


def compute_scope(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    *,
    quarter: Quarter,
    indicators: list[IndicatorInfo],
    include_submitted: bool = False,
    overdispersion: bool | None = None,
    rules: tuple[EffectiveSettings, dict[int, Baseline]] | None = None,
) -> BenchmarkReport:
    """Benchmarks of ``indicators`` in an already resolved scope (flags and reports reuse this).
    Indicators computed before from the same data and rules come from ``cache.BENCHMARKS``.
    ``rules``: the scope's settings and baselines (``scope_rules``) when the caller has read them
    already (a series of quarters of one scope)."""
    settings, baselines = rules or scope_rules(session, scope)
    ids = [i.id for i in indicators]
    with distribution_view(session, actor, scope):
        # the version first: whatever is read after it is at least as new as the key says
        version = (
            cache.data_version(session, actor, scope, quarter=quarter) if cache.cacheable(scope) else None
        )
        expected, not_applicable = expected_hospitals(
            session, actor, scope, quarter=quarter, indicator_ids=ids
        )
        keys = {
            info.id: _cache_key(
                actor,
                scope,
                quarter,
                info,
                version,
                settings,
                expected,
                not_applicable,
                include_submitted=include_submitted,
                overdispersion=overdispersion,
            )
            for info in indicators
            if version is not None and info.id not in baselines
        }
        done = {i: hit for i, key in keys.items() if (hit := cache.BENCHMARKS.get(key)) is not None}
        todo = [i for i in ids if i not in done]
        arrays = (
            value_arrays(
                session,
                actor,
                scope,
                quarter=quarter,
                indicator_ids=todo,
                include_submitted=include_submitted,
            )
            if todo
            else {}
        )
        profiles = _profiles(session, arrays, {i: baselines[i] for i in todo if i in baselines})
    mode = overdispersion_mode(settings, overdispersion)
    report = BenchmarkReport(quarter, scope, statuses(include_submitted), settings, mode)
    for info in indicators:
        if info.id in done:
            report.indicators.append(done[info.id])
            continue
        result = compute_indicator(
            info,
            arrays.get(info.id, _empty()),
            settings,
            expected=expected,
            not_applicable=not_applicable.get(info.id, 0),
            overdispersion=overdispersion,
            baseline=baselines.get(info.id),
            profiles=profiles.get(baselines[info.id].profile) if info.id in baselines else None,
        )
        if info.id in keys:
            cache.BENCHMARKS.put(keys[info.id], result, cache.frozen_size(result))
        report.indicators.append(result)
    return report


def scope_rules(session: Session, scope: BenchmarkScope) -> tuple[EffectiveSettings, dict[int, Baseline]]:
    """The QC center's settings and O/E baselines that apply to ``scope`` (they do not depend on the quarter)."""
    return effective_settings(session, province=scope.province), effective_baselines(
        session, province=scope.province
    )


def _cache_key(
    actor: Actor,
    scope: BenchmarkScope,
    quarter: Quarter,
    info: IndicatorInfo,
    version: tuple[Any, ...],
    settings: EffectiveSettings,
    expected: int,
    not_applicable: dict[int, int],
    *,
    include_submitted: bool,
    overdispersion: bool | None,
) -> tuple[Any, ...]:
    """Everything one indicator's result depends on (``cache``): data version, rules, scope, options."""
    return (
        actor.province,
        actor.hospital_id,
        actor.is_national,
        scope.key,
        scope.provinces,
        scope.members,
        str(quarter),
        info,
        version,
        repr(settings),
        expected,
        not_applicable.get(info.id, 0),
        include_submitted,
        overdispersion,
    )


def _profiles(
    session: Session, arrays: dict[int, ValueArrays], baselines: dict[int, Baseline]
) -> dict[str, dict[int, str]]:
    """Profile definition → hospital id → profile key, for the hospitals of indicators with O/E."""
    out: dict[str, dict[int, str]] = {}
    for ind, base in baselines.items():
        if ind in arrays:
            ids = [int(h) for h in arrays[ind].hospital_id]
            known = out.setdefault(base.profile, {})
            missing = [h for h in ids if h not in known]
            known.update(hospital_profiles(session, missing, base.profile))
    return out


def benchmark(
    session: Session,
    actor: Actor,
    *,
    quarter: Quarter,
    scope: str | None = None,
    indicator: str | None = None,
    include_submitted: bool = False,
    overdispersion: bool | None = None,
    with_labels: bool = True,
) -> BenchmarkReport:
    """The benchmark of one indicator (code or id) or of every indicator of the quarter's catalog year."""
    resolved = resolve_scope(session, actor, scope, quarter=quarter)
    indicators = indicators_of_year(session, quarter.year, indicator=indicator, specialty=actor.specialty)
    if indicator and not indicators:
        raise NotFound(
            f"指标 {indicator} 在 {quarter.year} 年目录中不存在 / indicator {indicator!r} is not in the "
            f"{quarter.year} catalog",
            indicator=indicator,
        )
    report = compute_scope(
        session,
        actor,
        resolved,
        quarter=quarter,
        indicators=indicators,
        include_submitted=include_submitted,
        overdispersion=overdispersion,
    )
    if with_labels:
        report.labels = visible_labels(session, report)
    return report


def visible_labels(session: Session, report: BenchmarkReport) -> dict[int, dict[str, Any]]:
    """Hospital names for the rows the caller may see identified (hospital callers: their own)."""
    if report.scope.own_hospital_only:
        own = report.scope.viewer_hospital_id
        return hospital_labels(session, [own]) if own is not None else {}
    ids = sorted({int(h) for b in report.indicators for h in b.hospital_id})
    return hospital_labels(session, ids)
