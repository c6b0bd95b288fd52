"""Laggard flags of a scope × quarter, each with its reason (Chinese, English).

* alarm / alert — by the QC center's flag rule (``settings.flag_rule``): ``limits`` = outside the
  99.8% / 95% funnel limit on the bad side (exact binomial limits for proportions, Poisson limits
  for rates per N); ``fdr`` = Benjamini–Hochberg q-value towards the bad side below 0.002 / 0.05
  across the funnel's hospitals. The flag's evidence and words name the rule;
* worst_decile — beyond P10 (higher is better) or P90 (lower is better) by
  ``stats.worst_decile_mask``: the hospital's 95% interval lies wholly on the bad side of the cut,
  with at least ``stats.DEFAULT_DECILE_MIN_EVENTS`` bad events (never on one event of a rare
  indicator; P90 = 0 is no cut); means (no interval) by their value; when ≥ 10 hospitals are assessed;
* persistent — alarm/alert/worst decile this quarter and the quarter before (frozen flags of the
  earlier quarter when it was frozen, else recomputed; across a year boundary via the lineage);
* deteriorating — significantly worse than the same quarter a year earlier (``change.py``,
  following the lineage);
* early_warning — the hospital × indicator's risk-adjusted CUSUM over its quarterly series crossed
  its control limit h this quarter (``early_warning.py``, ``stats_cusum``; following the lineage;
  the CUSUM restarts at 0 after each signal). Computed on request (``early_warning=True``): frozen
  snapshots and one hospital's page, not every live province list;
* missing — nothing submitted by the due date.

A hospital whose denominator is below the minimum is shown but never flagged on that indicator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, SupportsIndex, cast

import numpy as np
from sqlalchemy.orm import Session

from services.benchmark import flag_reasons as words
from services.benchmark import stats
from services.benchmark.benchmarks import BenchmarkReport, IndicatorBenchmark, compute_scope
from services.benchmark.change import change
from services.benchmark.lineage import predecessors
from services.benchmark.queries import IndicatorInfo, hospitals_missing, indicators_of_year, value_arrays
from services.benchmark.scope import BenchmarkScope, distribution_view, resolve_scope
from services.benchmark.yoy import earlier_quarter
from services.core.actor import Actor
from services.core.quarter import Quarter

if TYPE_CHECKING:
    from services.benchmark.early_warning import Series

BASE_KINDS = ("alarm", "alert", "worst_decile")
MIN_FOR_DECILE = 10


@dataclass
class Flag:
    """One flag. Its reason in words is built when first asked for: a page showing the 50 most
    severe of a province's ~10,000 flags formats 50 reasons."""

    hospital_id: int
    kind: str
    words: Callable[[], tuple[str, str]]  # → (Chinese, English)
    indicator: IndicatorInfo | None = None
    numerator: int | None = None
    denominator: int | None = None
    z: float | None = None
    evidence: dict[str, Any] | None = None

    @cached_property
    def _reason(self) -> tuple[str, str]:
        return self.words()

    @property
    def reason(self) -> str:
        return self._reason[0]

    @property
    def reason_en(self) -> str:
        return self._reason[1]


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _only(b: IndicatorBenchmark, hospital: int | None) -> np.ndarray | bool:
    """Row mask of one hospital (``True``: every row)."""
    return True if hospital is None else b.hospital_id == hospital


def _limit_evidence(b: IndicatorBenchmark, i: SupportsIndex, limit: float) -> dict[str, Any]:
    return {
        "rule": b.flag_rule,
        "limit": _finite(limit),
        "target": b.target,
        "q": _finite(b.q[i]) if b.q is not None else None,
        "measure": b.measure,
        "limits_method": b.limits_method,
        "overdispersion_applied": b.overdispersion_applied,
        "phi": _finite(b.phi) if b.phi is not None else None,
        "tau2": _finite(b.tau2) if b.tau2 is not None else None,
        "min_denominator": b.min_denominator,
    }


def _limit_flags(b: IndicatorBenchmark, hospital: int | None = None) -> list[Flag]:
    info, out = b.indicator, []
    bad_low = info.direction == "higher"
    for kind, signal, col in (("alarm", "worse_998", "limit998"), ("alert", "worse_95", "limit95")):
        for i in np.flatnonzero((b.flag_signals == signal) & _only(b, hospital)):
            limit = b.units[f"{col}_low" if bad_low else f"{col}_high"][i]
            evidence = _limit_evidence(b, i, limit)
            reason = partial(
                words.limit_reason,
                kind,
                info,
                rate=b.units["rate"][i],
                limit=limit,
                target=b.target,
                n=int(b.denominator[i]),
                rule=b.flag_rule,
                q=evidence["q"],
            )
            out.append(
                Flag(
                    int(b.hospital_id[i]),
                    kind,
                    reason,
                    info,
                    int(b.numerator[i]),
                    int(b.denominator[i]),
                    _finite(b.units["z"][i]),
                    evidence,
                )
            )
    return out


def _worst_decile(b: IndicatorBenchmark) -> tuple[np.ndarray, np.ndarray, float | None, int]:
    """(row mask of the worst decile, rates, the cut, hospitals assessed); empty below MIN_FOR_DECILE."""
    eligible = b.eligible
    assessed = int(eligible.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(b.denominator > 0, b.numerator / b.denominator, np.nan)
    if assessed < MIN_FOR_DECILE:
        return np.zeros(len(rate), dtype=bool), rate, None, assessed
    cut = b.percentiles[10] if b.indicator.direction == "higher" else b.percentiles[90]
    if b.measure is None:  # a mean: no interval and no events; its value beyond the cut (as before)
        with np.errstate(invalid="ignore"):
            beyond = (rate < cut) if b.indicator.direction == "higher" else (rate > cut)
        return eligible & beyond, rate, cut, assessed
    worst = stats.worst_decile_mask(
        b.numerator,
        b.denominator,
        cut,
        direction=cast(stats.Direction, b.indicator.direction),  # the catalog allows only higher | lower
        eligible=eligible,
        measure=b.measure,
    )
    return np.asarray(worst, dtype=bool), rate, cut, assessed


def _decile_flags(b: IndicatorBenchmark, hospital: int | None = None) -> list[Flag]:
    info = b.indicator
    worst, rate, cut, assessed = _worst_decile(b)
    out = []
    for i in np.flatnonzero(worst & _only(b, hospital)):
        reason = partial(words.decile_reason, info, rate=rate[i], cut=cut, assessed=assessed)
        out.append(
            Flag(
                int(b.hospital_id[i]),
                "worst_decile",
                reason,
                info,
                int(b.numerator[i]),
                int(b.denominator[i]),
                None,
                {"rule": "decile", "cut": cut, "assessed": assessed, "min_denominator": b.min_denominator},
            )
        )
    return out


def base_flags(report: BenchmarkReport, hospital: int | None = None) -> list[Flag]:
    return [f for b in report.indicators for f in (*_limit_flags(b, hospital), *_decile_flags(b, hospital))]


def flagged_pairs(report: BenchmarkReport, hospital: int | None = None) -> set[tuple[int, int]]:
    """(hospital, indicator id) of every alarm / alert / worst decile: base_flags without the reasons."""
    out: set[tuple[int, int]] = set()
    for b in report.indicators:
        hit = (np.isin(b.flag_signals, ("worse_998", "worse_95")) | _worst_decile(b)[0]) & _only(b, hospital)
        out.update((int(h), b.indicator.id) for h in b.hospital_id[hit])
    return out


def _deteriorating(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    quarter: Quarter,
    report: BenchmarkReport,
    include_submitted: bool,
    hospital: int | None = None,
) -> list[Flag]:
    preds = predecessors(session, [b.indicator.id for b in report.indicators])
    compared = [
        b for b in report.indicators if preds[b.indicator.id].compares and b.indicator.kind != "ratio"
    ]
    wanted: dict[Quarter, list[int]] = {}  # one read per earlier quarter, not one per indicator
    for b in compared:
        pred = preds[b.indicator.id]
        wanted.setdefault(earlier_quarter(quarter, pred), []).append(pred.source_id)
    earlier = {
        q: value_arrays(
            session, actor, scope, quarter=q, indicator_ids=ids, include_submitted=include_submitted
        )
        for q, ids in wanted.items()
    }
    out = []
    for b in compared:
        pred = preds[b.indicator.id]
        q = earlier_quarter(quarter, pred)
        before = earlier[q].get(pred.source_id)
        if before is None:
            continue
        common, now_i, before_i = np.intersect1d(b.hospital_id, before.hospital_id, return_indices=True)
        x1, n1 = b.numerator[now_i], b.denominator[now_i]
        x0, n0 = before.numerator[before_i], before.denominator[before_i]
        ok = (n1 >= max(b.min_denominator, 1)) & (n0 >= max(b.min_denominator, 1))
        if hospital is not None:
            ok &= common == hospital
        result = change(b.indicator.kind, x1[ok], n1[ok], x0[ok], n0[ok], direction=b.indicator.direction)
        for j in np.flatnonzero(result.verdict == "worsened"):
            reason = partial(
                words.deteriorating_reason,
                b.indicator,
                previous=str(q),
                previous_code=pred.from_code,
                diff=result.difference[j],
                low=result.low[j],
                high=result.high[j],
                ratio=_ratio(result, j),
            )
            out.append(
                Flag(
                    int(common[ok][j]),
                    "deteriorating",
                    reason,
                    b.indicator,
                    int(x1[ok][j]),
                    int(n1[ok][j]),
                    None,
                    {
                        "rule": "yoy",
                        "method": getattr(result, "method", None),
                        "previous_quarter": str(q),
                        "previous_numerator": int(x0[ok][j]),
                        "previous_denominator": int(n0[ok][j]),
                        "change": float(result.difference[j]),
                        "rate_ratio": _ratio(result, j),
                    },
                )
            )
    return out


def _ratio(result: stats.ChangeResult, j: SupportsIndex) -> tuple[float, float, float] | None:
    """Rates per N: (rate ratio, low, high) of unit ``j``; None for proportions."""
    if result.ratio is None or result.ratio_low is None or result.ratio_high is None:
        return None
    return float(result.ratio[j]), float(result.ratio_low[j]), float(result.ratio_high[j])


PreviousLookup = Callable[[Quarter], set[tuple[int, int]] | None]


def _previous_flagged(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    quarter: Quarter,
    infos: list[IndicatorInfo],
    include_submitted: bool,
    frozen: PreviousLookup | None,
    hospital: int | None = None,
) -> tuple[Quarter, set[tuple[int, int]]]:
    """(hospital, current indicator id) pairs flagged alarm/alert/worst decile the quarter before."""
    prev = quarter.previous()
    if prev.year == quarter.year:
        mapping = {i.id: i.id for i in infos}
    else:  # across the year boundary: the predecessor indicator, when comparable
        mapping = {
            p.source_id: cur for cur, p in predecessors(session, [i.id for i in infos]).items() if p.compares
        }
    pairs = frozen(prev) if frozen else None
    if pairs is None:
        prev_infos = indicators_of_year(session, prev.year)
        prev_scope = resolve_scope(session, actor, scope.key, quarter=prev)
        prev_report = compute_scope(
            session,
            actor,
            prev_scope,
            quarter=prev,
            include_submitted=include_submitted,
            indicators=[i for i in prev_infos if i.id in mapping],
        )
        pairs = flagged_pairs(prev_report, hospital)
    return prev, {(h, mapping[i]) for h, i in pairs if i in mapping}


def _persistent(
    flags: list[Flag], prev: Quarter, quarter: Quarter, flagged_before: set[tuple[int, int]]
) -> list[Flag]:
    kinds: dict[tuple[int, int], list[str]] = {}
    infos: dict[int, IndicatorInfo] = {}
    for f in flags:
        if f.indicator is None:  # base flags all name their indicator
            continue
        kinds.setdefault((f.hospital_id, f.indicator.id), []).append(f.kind)
        infos[f.indicator.id] = f.indicator
    out = []
    for (hospital, ind), ks in sorted(kinds.items()):
        if (hospital, ind) in flagged_before:
            reason = partial(
                words.persistent_reason, infos[ind], quarter=str(quarter), previous=str(prev), kinds=ks
            )
            out.append(
                Flag(
                    hospital,
                    "persistent",
                    reason,
                    infos[ind],
                    evidence={"rule": "persistent", "previous_quarter": str(prev), "kinds": ks},
                )
            )
    return out


def _early_warnings(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    quarter: Quarter,
    include_submitted: bool,
    hospital: int | None = None,
) -> list[Flag]:
    from services.benchmark.early_warning import early_warnings

    out: list[Flag] = []
    for s in early_warnings(
        session, actor, scope, quarter=quarter, hospital_id=hospital, include_submitted=include_submitted
    ):
        path, last = s.cusum, s.points[-1]
        assert path is not None
        since = str(s.points[0].quarter)
        statistic, observed, expected = float(path.statistic[-1]), _bad(s), float(path.expected[-1])
        evidence: dict[str, object] = {
            "rule": "cusum",
            "statistic": statistic,
            "h": path.h,
            "ratio": path.ratio,
            "since": since,
            "quarters": len(s.points),
            "observed_bad": observed,
            "expected_bad": expected,
            "expected_source": last.expected_source,
            "restart": s.restart_reason[1] if s.restart_reason else None,
        }
        reason = partial(
            words.early_warning_reason,
            s.indicator,
            statistic=statistic,
            h=path.h,
            ratio=path.ratio,
            since=since,
            quarters=len(s.points),
            observed=observed,
            expected=expected,
            source=last.expected_source,
            restart=s.restart_reason,
        )
        out.append(
            Flag(
                s.hospital_id,
                "early_warning",
                reason,
                s.indicator,
                last.numerator,
                last.denominator,
                None,
                evidence,
            )
        )
    return out


def _bad(series: Series) -> float:
    """This quarter's bad events (failures for a higher-is-better proportion)."""
    last = series.points[-1]
    if series.indicator.kind == "proportion" and series.indicator.direction == "higher":
        return float(last.denominator - last.numerator)
    return float(last.numerator)


def _missing(
    session: Session, actor: Actor, scope: BenchmarkScope, quarter: Quarter, hospital: int | None = None
) -> list[Flag]:
    out = []
    for row in hospitals_missing(session, actor, scope, quarter=quarter):
        if hospital is not None and row["id"] != hospital:
            continue
        due = row["due_at"].date().isoformat() if row["due_at"] else None
        reason = partial(words.missing_reason, quarter=str(quarter), due=due)
        out.append(
            Flag(
                row["id"],
                "missing",
                reason,
                evidence={"rule": "missing", "status": row["status"], "due": due},
            )
        )
    return out


def compute_flags(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    *,
    quarter: Quarter,
    include_submitted: bool = False,
    frozen: PreviousLookup | None = None,
    hospital_id: int | None = None,
    early_warning: bool = False,
) -> tuple[BenchmarkReport, list[Flag]]:
    """Every flag of a resolved scope × quarter (live, from the current data). With ``hospital_id``
    only that hospital's flags (the scope's distribution still sets the limits); hospital users get
    only their own whatever is asked."""
    if scope.own_hospital_only:
        hospital_id = scope.viewer_hospital_id
    infos = indicators_of_year(session, quarter.year, specialty=actor.specialty)
    report = compute_scope(
        session, actor, scope, quarter=quarter, indicators=infos, include_submitted=include_submitted
    )
    with distribution_view(session, actor, scope):
        flags = base_flags(report, hospital_id)
        prev, before = _previous_flagged(
            session, actor, scope, quarter, infos, include_submitted, frozen, hospital_id
        )
        flags += _persistent(flags, prev, quarter, before)
        flags += _deteriorating(session, actor, scope, quarter, report, include_submitted, hospital_id)
        if early_warning:
            flags += _early_warnings(session, actor, scope, quarter, include_submitted, hospital_id)
        flags += _missing(session, actor, scope, quarter, hospital_id)
    if scope.own_hospital_only:
        flags = [f for f in flags if f.hospital_id == scope.viewer_hospital_id]
    return report, flags
