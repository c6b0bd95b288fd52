"""National rollups: provinces side by side, provinces on a funnel, the national trend by quarter.

Per province and indicator: hospitals expected and reporting (completeness), pooled rate, median
hospital rate and the number of laggards (hospitals flagged alarm or alert in the province's own
funnel under the province's flag rule, limits or fdr). Provinces are then compared as units on a funnel around the national pooled rate (proportions and
rates per N, with the same exact limits as hospitals).
National roles see every province; provincial roles only their own province's rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.benchmark import cache, stats
from services.benchmark.benchmarks import MEASURES, compute_indicator
from services.benchmark.lineage import predecessors
from services.benchmark.queries import (
    IndicatorInfo,
    ValueArrays,
    fetch_binary,
    indicators_of_year,
    planner_settings,
    scope_filter,
    scope_where,
    value_arrays,
)
from services.benchmark.scope import BenchmarkScope
from services.benchmark.settings import EffectiveSettings, effective_settings_of
from services.benchmark.views import clean, scaled
from services.core.actor import Actor
from services.core.quarter import Quarter
from services.identity.permissions import require
from services.registry.queries import owes_quarter_sql

_PROVINCES = """
SELECT h.province_code, count(*) FILTER (WHERE {owes} OR s.id IS NOT NULL) AS hospitals,
       count(DISTINCT s.hospital_id) FILTER (WHERE s.status = ANY(:statuses)) AS reporting
FROM hospitals h
LEFT JOIN submissions s ON s.hospital_id = h.id AND s.province_code = h.province_code AND s.quarter = :quarter
WHERE {scope}
GROUP BY h.province_code ORDER BY h.province_code
"""


def _rollup_scope(actor: Actor) -> BenchmarkScope:
    if actor.is_national:
        return BenchmarkScope(key="nation", label="全国", label_en="nation")
    return BenchmarkScope(
        key=f"province:{actor.province}",
        label=actor.province or "",
        label_en="",
        provinces=(actor.province or "",),
    )


def _provinces_by_hospital(session: Session, arrays: dict[int, ValueArrays]) -> dict[int, str]:
    """One query for every hospital in the arrays (not one per indicator), as two arrays."""
    ids = sorted({int(i) for values in arrays.values() for i in values.hospital_id.tolist()})
    sql = "SELECT array_agg(id), array_agg(province_code) FROM hospitals WHERE id = ANY(:ids)"
    found, provinces = fetch_binary(session, sql, {"ids": ids})[0]
    return dict(zip(found or [], provinces or [], strict=True))


def _province_of(lookup: dict[int, str], ids: np.ndarray) -> np.ndarray:
    return np.asarray([lookup.get(int(i), "") for i in ids], dtype=object)


def _slice(values: ValueArrays, keep: np.ndarray) -> ValueArrays:
    return ValueArrays(values.hospital_id[keep], values.numerator[keep], values.denominator[keep])


def _province_rows(
    info: IndicatorInfo,
    values: ValueArrays,
    provinces: np.ndarray,
    counts: dict[str, tuple[int, int]],
    settings: Mapping[str | None, EffectiveSettings],
) -> list[dict[str, Any]]:
    rows = []
    for code, (hospitals, reporting) in counts.items():
        b = compute_indicator(info, _slice(values, provinces == code), settings[code])
        rows.append(
            {
                "province_code": code,
                "hospitals": hospitals,
                "reporting": reporting,
                "completeness": round(reporting / hospitals, 4) if hospitals else None,
                "numerator": int(b.numerator[b.denominator > 0].sum()),
                "denominator": int(b.denominator.sum()),
                "pooled_rate": scaled(b.pooled, info.multiplier),
                "median": scaled(b.percentiles[50], info.multiplier),
                "laggards": int(np.isin(b.flag_signals, ("worse_95", "worse_998")).sum()),
            }
        )
    return rows


def _province_funnel(info: IndicatorInfo, rows: list[dict[str, Any]]) -> dict[str, Any]:
    units = [r for r in rows if r["denominator"] > 0]
    if info.kind not in MEASURES or not units:
        return {"applicable": False}
    f = stats.funnel(
        [r["province_code"] for r in units],
        [r["numerator"] for r in units],
        [r["denominator"] for r in units],
        measure=MEASURES[info.kind],
        direction=cast(stats.Direction, info.direction),  # the catalog allows only higher | lower
    )
    m = info.multiplier
    return {
        "applicable": True,
        "measure": f.measure,
        "limits_method": f.limits_method,
        "target": scaled(f.target, m),
        "phi": clean(f.phi),
        "tau2": clean(f.tau2),
        "units": [
            {
                "province_code": u,
                "rate": scaled(f.rate[i], m),
                "z": clean(float(f.z[i])),
                "limit95_low": scaled(f.limit95_low[i], m),
                "limit95_high": scaled(f.limit95_high[i], m),
                "limit998_low": scaled(f.limit998_low[i], m),
                "limit998_high": scaled(f.limit998_high[i], m),
                "signal": str(f.signal[i]),
            }
            for i, u in enumerate(f.unit)
        ],
    }


def rollup(
    session: Session, actor: Actor, *, quarter: Quarter, indicator: str | None = None
) -> dict[str, Any]:
    require(actor, "rollup.read")
    scope = _rollup_scope(actor)
    infos = indicators_of_year(session, quarter.year, indicator=indicator, specialty=actor.specialty)
    where, params = scope_where(scope, actor)
    owes, owes_params = owes_quarter_sql(quarter)
    counts = {
        r.province_code: (r.hospitals, r.reporting)
        for r in session.execute(
            text(_PROVINCES.format(scope=where, owes=owes)),
            {**params, "quarter": str(quarter), "statuses": ["approved"], **owes_params},
        )
    }
    arrays = value_arrays(session, actor, scope, quarter=quarter, indicator_ids=[i.id for i in infos])
    settings = effective_settings_of(session, list(counts))
    lookup = _provinces_by_hospital(session, arrays)
    out = []
    for info in infos:
        values = arrays.get(info.id) or ValueArrays(*(np.zeros(0, dtype=np.int64),) * 3)
        rows = _province_rows(info, values, _province_of(lookup, values.hospital_id), counts, settings)
        out.append(
            {
                "indicator_code": info.code,
                "indicator_name": info.name,
                "indicator_name_en": info.name_en,
                "unit": info.unit,
                "provinces": rows,
                "province_funnel": _province_funnel(info, rows),
            }
        )
    return {
        "quarter": str(quarter),
        "scope": scope.key,
        "indicators": out,
        "trend": national_trend(session, actor, scope, quarter=quarter, infos=infos),
    }


_TREND = """
SELECT s.quarter, v.indicator_id, sum(v.numerator) FILTER (WHERE v.denominator > 0), sum(v.denominator)
FROM submission_values v
JOIN submissions s ON s.id = v.submission_id AND s.province_code = v.province_code
{join}
WHERE s.quarter = ANY(:quarters) AND s.status = 'approved' AND v.indicator_id = ANY(:indicators) AND {scope}
GROUP BY s.quarter, v.indicator_id
"""


def national_trend(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    *,
    quarter: Quarter,
    infos: list[IndicatorInfo],
    quarters: int = 8,
) -> list[dict[str, Any]]:
    """Pooled rate by quarter for the last ``quarters`` quarters; earlier catalog years through the
    lineage (comparable predecessors only, otherwise the series starts with the current year)."""
    span = [quarter]
    while len(span) < quarters:
        span.insert(0, span[0].previous())
    preds = predecessors(session, [i.id for i in infos])
    source = {i.id: i.id for i in infos}
    source.update({p.source_id: cur for cur, p in preds.items() if p.compares})
    versions = cache.quarter_versions(session, actor, scope, span) if cache.cacheable(scope) else None
    # who asks is part of the key: row-level security limits a hospital user's sums to its own rows
    who = (actor.province, actor.hospital_id, actor.is_national)
    key = (
        "trend",
        who,
        scope.key,
        scope.provinces,
        scope.members,
        tuple(map(str, span)),
        tuple(source.items()),
    )
    sums = cache.BENCHMARKS.get((*key, versions)) if versions is not None else None
    if sums is None:
        sums = _trend_sums(session, actor, scope, span, source)
        if versions is not None:
            cache.BENCHMARKS.put((*key, versions), sums, 256 * len(sums) + 512)
    reported = {q for q, _ in sums}
    span = span[
        next((k for k, q in enumerate(span) if str(q) in reported), len(span) - 1) :
    ]  # no empty lead-in
    return [
        {
            "indicator_code": i.code,
            "points": [
                {
                    "quarter": str(q),
                    "numerator": sums.get((str(q), i.id), (0, 0))[0],
                    "denominator": sums.get((str(q), i.id), (0, 0))[1],
                    "pooled_rate": _pooled(sums.get((str(q), i.id)), i.multiplier),
                }
                for q in span
            ],
        }
        for i in infos
    ]


def _trend_sums(
    session: Session, actor: Actor, scope: BenchmarkScope, span: list[Quarter], source: dict[int, int]
) -> dict[tuple[str, int], tuple[int, int]]:
    """(quarter, indicator id) → (Σ numerator, Σ denominator) of approved values; a predecessor's
    sums under its successor's id (``source``)."""
    join, where, params = scope_filter(scope, actor, "v")
    # Row-level security predicates make the planner estimate one row for each of these tables, so it
    # joins submissions to hospitals on province alone (55 M rows at national scale) or picks nested
    # loops that run for minutes (docs/performance.md). For this statement only: the joins in the
    # order written (values → their submission → their hospital) and no nested loops: 66 s → 0.5 s.
    with planner_settings(session, enable_nestloop="off", join_collapse_limit="1", work_mem="64MB"):
        rows = session.execute(
            text(_TREND.format(scope=where, join=join)),
            {**params, "quarters": [str(q) for q in span], "indicators": list(source)},
        ).all()
    return {(q.strip(), source[ind]): (x or 0, n or 0) for q, ind, x, n in rows}


def _pooled(pair: tuple[int, int] | None, multiplier: int) -> float | None:
    if not pair or not pair[1]:
        return None
    return round(pair[0] / pair[1] * multiplier, 6)
