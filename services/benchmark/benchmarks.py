"""Benchmarks: per indicator × quarter × scope, the distribution and every hospital's place in it.

Proportions get the full funnel (Wilson intervals at 95% / 99.8%, control limits around the pooled
rate or the QC center's target, z, signal, φ/τ²). Rates per N get Poisson intervals; means/ratios
only their value: neither has a funnel here, so their signal is ``not_applicable`` (see
docs/benchmarking.md). Every kind gets pooled rate, percentiles and a direction-aware rank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import stats as sps
from sqlalchemy.orm import Session

from services.benchmark import stats
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
    overdispersion: bool
    indicators: list[IndicatorBenchmark] = field(default_factory=list)
    labels: dict[int, dict] = field(default_factory=dict)

    @property
    def data_note(self) -> str:
        if "submitted" in self.statuses:
            return "含已提交但尚未审核通过的数据 / includes submitted data not yet approved"
        return "仅含审核通过的数据 / approved data only"


@lru_cache(maxsize=512)
def _chi2_95(df: int) -> float:
    """95th percentile of chi-squared with ``df`` degrees of freedom (the over-dispersion test)."""
    return float(sps.chi2.ppf(0.95, df))


def _nan(size: int) -> np.ndarray:
    return np.full(size, np.nan)


def _proportion(
    info: IndicatorInfo, values: ValueArrays, settings: EffectiveSettings, overdispersion: bool
) -> dict:
    target = settings.targets.get(info.id)
    if target is None and not (values.denominator > 0).any():  # nothing to centre a funnel on
        size = values.numerator.size
        return dict(
            units={name: _nan(size) for name in (*UNIT_FIELDS, "z")},
            signal=np.full(size, "insufficient", dtype=object),
        )
    result = stats.funnel(
        values.hospital_id,
        values.numerator,
        values.denominator,
        target=target,
        direction=info.direction,
        overdispersion=overdispersion,
        min_denominator=settings.min_denominator,
    )
    units = {name: getattr(result, name) for name in (*UNIT_FIELDS, "z")}
    k = int(((values.denominator > 0) & (values.denominator >= settings.min_denominator)).sum())
    recommended = bool(k > 1 and not math.isnan(result.phi) and k * result.phi > _chi2_95(k - 1))
    return dict(
        units=units,
        signal=result.signal,
        target=result.target,
        target_source="qc_center" if target is not None else "pooled",
        phi=result.phi,
        tau2=result.tau2,
        overdispersion_applied=result.overdispersion,
        overdispersion_recommended=recommended,
    )


def _rate_or_ratio(info: IndicatorInfo, values: ValueArrays, settings: EffectiveSettings) -> dict:
    x, n = values.numerator, values.denominator
    size = x.size
    units = {name: _nan(size) for name in (*UNIT_FIELDS, "z")}
    if info.kind == "rate":
        units["rate"], units["ci95_low"], units["ci95_high"] = stats.rate_interval(x, n, confidence=0.95)
        _, units["ci998_low"], units["ci998_high"] = stats.rate_interval(x, n, confidence=0.998)
    else:  # a mean without its spread: no honest interval (docs/methods.md §3)
        with np.errstate(divide="ignore", invalid="ignore"):
            units["rate"] = np.where(n > 0, x / n, np.nan)
    signal = np.where((n > 0) & (n >= settings.min_denominator), "not_applicable", "insufficient").astype(
        object
    )
    return dict(units=units, signal=signal)


def compute_indicator(
    info: IndicatorInfo,
    values: ValueArrays,
    settings: EffectiveSettings,
    *,
    expected: int = 0,
    not_applicable: int = 0,
    overdispersion: bool = False,
) -> IndicatorBenchmark:
    """Pure: the benchmark of one indicator from its value arrays (no database)."""
    x, n = values.numerator, values.denominator
    parts = (
        _proportion(info, values, settings, overdispersion)
        if info.kind == "proportion"
        else _rate_or_ratio(info, values, settings)
    )
    rank = stats.percentile_rank(x, n, direction=info.direction, min_denominator=settings.min_denominator)
    percentiles = stats.rate_percentiles(x, n, min_denominator=settings.min_denominator)
    total = float(n[n > 0].sum())
    pooled = float(x[n > 0].sum()) / total if total > 0 else float("nan")
    return IndicatorBenchmark(
        indicator=info,
        hospitals_expected=max(expected, x.size),
        not_applicable=not_applicable,
        min_denominator=settings.min_denominator,
        hospital_id=values.hospital_id,
        numerator=x,
        denominator=n,
        rank=rank,
        pooled=pooled,
        percentiles=percentiles,
        **parts,
    )


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
    overdispersion: bool = False,
) -> BenchmarkReport:
    """Benchmarks of ``indicators`` in an already resolved scope (flags and reports reuse this)."""
    settings = effective_settings(session, province=scope.province)
    ids = [i.id for i in indicators]
    with distribution_view(session, actor, scope):
        arrays = value_arrays(
            session, actor, scope, quarter=quarter, indicator_ids=ids, include_submitted=include_submitted
        )
        expected, not_applicable = expected_hospitals(
            session, actor, scope, quarter=quarter, indicator_ids=ids
        )
    report = BenchmarkReport(quarter, scope, statuses(include_submitted), settings, overdispersion)
    for info in indicators:
        report.indicators.append(
            compute_indicator(
                info,
                arrays.get(info.id, _empty()),
                settings,
                expected=expected,
                not_applicable=not_applicable.get(info.id, 0),
                overdispersion=overdispersion,
            )
        )
    return report


def benchmark(
    session: Session,
    actor: Actor,
    *,
    quarter: Quarter,
    scope: str | None = None,
    indicator: str | None = None,
    include_submitted: bool = False,
    overdispersion: bool = False,
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


def visible_labels(session: Session, report: BenchmarkReport) -> dict[int, dict]:
    """Hospital names for the rows the caller may see identified (hospital callers: their own)."""
    if report.scope.own_hospital_only:
        return hospital_labels(session, [report.scope.viewer_hospital_id])
    ids = sorted({int(h) for b in report.indicators for h in b.hospital_id})
    return hospital_labels(session, ids)
