"""Early warning: each hospital × indicator's quarterly series through a risk-adjusted CUSUM and an EWMA.

The series (docs/methods.md §11) ends at the asked quarter and reaches back ``LOOKBACK`` quarters.
Each quarter's expected rate is the one the funnel of that quarter uses for the hospital: its peer
profile's baseline rate where the QC center set an O/E baseline for the indicator (and the
hospital's profile has one), else the QC center's target, else the scope's pooled rate. Values
come from ``compute_scope`` (approved data only unless asked), so the series agrees with the funnels;
a quarter below the minimum denominator is left out of the series, as the funnel leaves it unflagged.

Lineage (``lineage.py``): going back across a catalog year, an indicator continues on its
predecessor when the lineage says comparable or partial and the predecessor is of the year just
before (renumbered goals continue, NIT-2022-VII.1 → NIT-2023-V.1); a redefined, merged, new or
reinstated-after-a-gap indicator starts its series in the first quarter of its year, and the
series says so with the lineage's reason.

The statistics are pure (``stats_cusum``). A signal in the asked quarter becomes an
``early_warning`` flag (``flags.py``); the CUSUM restarts at 0 after each signal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.benchmark import stats_cusum
from services.benchmark.benchmarks import IndicatorBenchmark, compute_scope, scope_rules
from services.benchmark.lineage import predecessors
from services.benchmark.queries import IndicatorInfo, indicators_of_year
from services.benchmark.scope import BenchmarkScope, resolve_scope
from services.core.actor import Actor
from services.core.quarter import Quarter

LOOKBACK = 12  # quarters (three years): long enough for a slow drift, short enough to read
MEASURES = ("proportion", "rate")


@dataclass(frozen=True)
class Point:
    quarter: Quarter
    indicator_id: int
    indicator_code: str
    numerator: int
    denominator: int
    expected_rate: float  # fraction (or events per unit exposure), the centre this quarter
    expected_source: str  # baseline | qc_center | pooled
    inflation: float = 1.0  # variance inflation from the funnel's τ² when it adjusted for over-dispersion


@dataclass
class Series:
    """One hospital × indicator (the asked quarter's indicator), oldest quarter first."""

    hospital_id: int
    indicator: IndicatorInfo
    points: list[Point] = field(default_factory=list)
    starts: Quarter | None = None  # where the series begins (restart or the lookback)
    restart_reason: tuple[str, str] | None = None  # (Chinese, English) when the lineage restarts it
    cusum: stats_cusum.CusumPath | None = None
    ewma: stats_cusum.EwmaPath | None = None

    @property
    def signal_now(self) -> bool:
        return bool(self.cusum is not None and self.cusum.signal.size and self.cusum.signal[-1])


@dataclass(frozen=True)
class _Chain:
    """Which indicator id the series of each current indicator reads in a given year."""

    ids: dict[int, dict[int, int]]  # year → current indicator id → that year's indicator id
    starts: dict[int, Quarter]  # current id → first quarter of its series
    reasons: dict[int, tuple[str, str]]  # current id → why the series restarts


def _chain(session: Session, infos: list[IndicatorInfo], quarter: Quarter, first: Quarter) -> _Chain:
    year = quarter.year
    ids = {year: {i.id: i.id for i in infos}}
    starts = {i.id: first for i in infos}
    reasons: dict[int, tuple[str, str]] = {}
    while year > first.year:
        current = ids[year]
        preds = predecessors(session, list(current.values()))
        ids[year - 1] = {}
        for cur, this_year_id in current.items():
            pred = preds[this_year_id]
            if pred.compares and pred.from_year == year - 1 and pred.from_indicator_id is not None:
                ids[year - 1][cur] = pred.from_indicator_id
            else:
                starts[cur] = max(first, Quarter(year, 1))
                if pred.status != "new":  # a new indicator simply starts; a changed one restarts
                    reasons[cur] = (
                        f"序列自 {year}Q1 重新开始：{pred.reason}",
                        f"Series restarts in {year}Q1: {pred.reason_en}",
                    )
        year -= 1
    return _Chain(ids, starts, reasons)


def _quarters(quarter: Quarter, lookback: int) -> list[Quarter]:
    out = [quarter]
    while len(out) < lookback:
        out.append(out[-1].previous())
    return out[::-1]


def _expected(b: IndicatorBenchmark, i: int) -> tuple[float, str] | None:
    n = float(b.denominator[i])
    if b.oe is not None and bool(b.oe.own_profile[i]) and n > 0:
        return float(b.oe.expected[i]) / n, "baseline"
    if b.target is None or not np.isfinite(b.target):
        return None
    return float(b.target), "qc_center" if b.target_source == "qc_center" else "pooled"


def _tau2(b: IndicatorBenchmark, source: str) -> float | None:
    """τ² of the funnel the quarter's flags used, when that funnel adjusted for over-dispersion."""
    if source == "baseline" and b.oe is not None:
        return b.oe.tau2 if b.oe.overdispersion_applied else None
    return b.tau2 if b.overdispersion_applied else None


def _points(b: IndicatorBenchmark, q: Quarter, hospital_id: int | None) -> Iterator[tuple[int, Point]]:
    rows = range(b.hospital_id.size) if hospital_id is None else np.flatnonzero(b.hospital_id == hospital_id)
    for i in rows:
        x, n = int(b.numerator[i]), int(b.denominator[i])
        # below the minimum denominator a quarter is shown but never assessed, as in the funnel
        centre = _expected(b, int(i)) if n > 0 and n >= b.min_denominator else None
        if centre is None:
            continue
        rate, source = centre
        inflation = stats_cusum.variance_inflation(n, rate, _tau2(b, source), measure=b.indicator.kind)
        point = Point(q, b.indicator.id, b.indicator.code, x, n, rate, source, float(inflation))
        yield int(b.hospital_id[i]), point


def _chart(series: Series, *, h: float, ratio: float) -> None:
    info, pts = series.indicator, series.points
    measure, direction = info.kind, info.direction
    x = [p.numerator for p in pts]
    n = [p.denominator for p in pts]
    p = [p.expected_rate for p in pts]
    inflation = [p.inflation for p in pts]
    kw = {"measure": measure, "direction": direction}
    series.cusum = stats_cusum.cusum_path(x, n, p, ratio=ratio, h=h, inflation=inflation, **kw)  # type: ignore[arg-type]
    series.ewma = stats_cusum.ewma(x, n, p, **kw)  # type: ignore[arg-type]


def compute_series(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    *,
    quarter: Quarter,
    hospital_id: int | None = None,
    lookback: int = LOOKBACK,
    include_submitted: bool = False,
    h: float = stats_cusum.DEFAULT_H,
    ratio: float = stats_cusum.DEFAULT_RATIO,
    indicator: str | None = None,
) -> list[Series]:
    """Every hospital × indicator series of a resolved scope ending at ``quarter`` (one hospital's
    with ``hospital_id``, one indicator's by code or id with ``indicator``; a hospital caller gets
    only its own whatever is asked)."""
    if scope.own_hospital_only:
        hospital_id = scope.viewer_hospital_id
    infos = [
        i
        for i in indicators_of_year(session, quarter.year, indicator=indicator, specialty=actor.specialty)
        if i.kind in MEASURES
    ]
    quarters = _quarters(quarter, lookback)
    chain = _chain(session, infos, quarter, quarters[0])
    by_id = {i.id: i for i in infos}
    series: dict[tuple[int, int], Series] = {}
    rules = scope_rules(session, scope)  # per scope, not per quarter: read once for the whole series
    for q in quarters:
        wanted = {cur: ind for cur, ind in chain.ids.get(q.year, {}).items() if not q < chain.starts[cur]}
        if not wanted:
            continue
        year_infos = [i for i in indicators_of_year(session, q.year) if i.id in set(wanted.values())]
        q_scope = scope if q == quarter else resolve_scope(session, actor, scope.key, quarter=q)
        report = compute_scope(
            session,
            actor,
            q_scope,
            quarter=q,
            indicators=year_infos,
            include_submitted=include_submitted,
            rules=rules,
        )
        current_of: dict[int, list[int]] = {}  # a split predecessor feeds every successor's series
        for cur, ind in wanted.items():
            current_of.setdefault(ind, []).append(cur)
        for b in report.indicators:
            for hospital, point in _points(b, q, hospital_id):
                for cur in current_of[b.indicator.id]:
                    s = series.setdefault(
                        (hospital, cur),
                        Series(
                            hospital,
                            by_id[cur],
                            starts=chain.starts[cur],
                            restart_reason=chain.reasons.get(cur),
                        ),
                    )
                    s.points.append(point)
    out = [s for s in series.values() if s.points]
    for s in out:
        _chart(s, h=h, ratio=ratio)
    return sorted(out, key=lambda s: (s.hospital_id, s.indicator.code))


def early_warnings(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    *,
    quarter: Quarter,
    hospital_id: int | None = None,
    include_submitted: bool = False,
) -> list[Series]:
    """The series that signal in ``quarter`` itself (a signal needs this quarter's data)."""
    found = compute_series(
        session, actor, scope, quarter=quarter, hospital_id=hospital_id, include_submitted=include_submitted
    )
    return [s for s in found if s.points[-1].quarter == quarter and s.signal_now]


@dataclass(frozen=True)
class EarlyWarning:
    """What the notification side needs of one early warning (tenant: the hospital's province)."""

    province_code: str
    hospital_id: int
    indicator_id: int
    indicator_code: str
    quarter: str
    statistic: float
    h: float
    reason: str
    reason_en: str


def early_warnings_after_freeze(
    session: Session, actor: Actor, *, quarter: Quarter, province: str
) -> list[EarlyWarning]:
    """The early warnings frozen for ``province`` × ``quarter`` (the province scope's snapshot), read
    back from the snapshot so a notification says exactly what was frozen; empty when the quarter
    is not frozen. The caller's session is tenant-bound: row-level security and the scope apply."""
    from services.benchmark.snapshots import find_snapshot
    from services.models import FlagSnapshotEntry, Indicator

    scope = resolve_scope(session, actor, f"province:{province}", quarter=quarter)
    snapshot = find_snapshot(session, scope, quarter)
    if snapshot is None:
        return []
    e = FlagSnapshotEntry
    rows = session.execute(
        select(e.hospital_id, e.indicator_id, Indicator.code, e.reason, e.reason_en, e.evidence)
        .join(Indicator, Indicator.id == e.indicator_id)
        .where(e.snapshot_id == snapshot.id, e.province_code == province, e.kind == "early_warning")
        .order_by(e.hospital_id, Indicator.code)
    )
    return [
        EarlyWarning(
            province_code=province,
            hospital_id=hospital,
            indicator_id=indicator,
            indicator_code=code,
            quarter=str(quarter),
            statistic=float(evidence.get("statistic") or 0.0),
            h=float(evidence.get("h") or stats_cusum.DEFAULT_H),
            reason=reason,
            reason_en=reason_en,
        )
        for hospital, indicator, code, reason, reason_en, evidence in rows
    ]


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def series_read(s: Series) -> dict[str, object]:
    """One series as the API and the hospital page show it (rates × the indicator's multiplier)."""
    info, path, band = s.indicator, s.cusum, s.ewma
    assert path is not None and band is not None
    m = info.multiplier
    return {
        "indicator_id": info.id,
        "indicator_code": info.code,
        "indicator_name": info.name,
        "indicator_name_en": info.name_en,
        "kind": info.kind,
        "unit": info.unit,
        "direction": info.direction,
        "h": path.h,
        "ratio": path.ratio,
        "ewma_lambda": band.lam,
        "ewma_width": band.width,
        "starts": str(s.starts) if s.starts else None,
        "restart_reason": s.restart_reason[0] if s.restart_reason else None,
        "restart_reason_en": s.restart_reason[1] if s.restart_reason else None,
        "signal_now": s.signal_now,
        "points": [
            {
                "quarter": str(p.quarter),
                "indicator_code": p.indicator_code,
                "numerator": p.numerator,
                "denominator": p.denominator,
                "rate": round(p.numerator / p.denominator * m, 6),
                "expected_rate": round(p.expected_rate * m, 6),
                "expected_source": p.expected_source,
                "inflation": round(p.inflation, 6),
                "cusum": round(float(path.statistic[t]), 6),
                "signal": bool(path.signal[t]),
                "ewma": _finite(round(float(band.value[t]), 6)),
                "ewma_lower": _finite(round(float(band.lower[t]), 6)),
                "ewma_upper": _finite(round(float(band.upper[t]), 6)),
            }
            for t, p in enumerate(s.points)
        ],
    }


def hospital_early_warning(
    session: Session,
    actor: Actor,
    *,
    hospital_id: int,
    quarter: Quarter,
    scope: str | None = None,
    include_submitted: bool = False,
    indicator: str | None = None,
) -> dict[str, object]:
    """One hospital's CUSUM / EWMA series ending at ``quarter`` (another tenant's hospital: not found)."""
    from services.identity.permissions import require
    from services.registry.queries import load_hospital

    require(actor, "benchmark.read")
    hospital = load_hospital(session, actor, hospital_id)
    resolved = resolve_scope(session, actor, scope or f"province:{hospital.province_code}", quarter=quarter)
    found = compute_series(
        session,
        actor,
        resolved,
        quarter=quarter,
        hospital_id=hospital.id,
        include_submitted=include_submitted,
        indicator=indicator,  # one indicator's series: the others were computed and thrown away
    )
    return {
        "hospital_id": hospital.id,
        "hospital_name": hospital.name,
        "quarter": str(quarter),
        "scope": resolved.key,
        "lookback": LOOKBACK,
        "series": [series_read(s) for s in found if s.hospital_id == hospital.id],
    }
