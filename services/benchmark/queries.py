"""SQL feeding the benchmark statistics: set-based, one query per question, arrays per indicator.

Every statement filters hospitals through ``scope_where`` (the one place the scope's hospitals and
the caller's province are written into SQL); row-level security says the same again underneath.
Only approved submissions count by default; ``include_submitted`` adds submitted (not yet
reviewed) ones. Drafts and returned submissions never count.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.benchmark.scope import BenchmarkScope
from services.core.actor import Actor
from services.core.quarter import Quarter
from services.registry.queries import owes_quarter_sql

APPROVED = ("approved",)
WITH_SUBMITTED = ("approved", "submitted")


def statuses(include_submitted: bool) -> tuple[str, ...]:
    return WITH_SUBMITTED if include_submitted else APPROVED


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    unit: str
    multiplier: int
    direction: str
    goal_id: int
    goal_code: str
    year: int


@dataclass(frozen=True)
class ValueArrays:
    """One indicator's reported values in a scope, ordered by hospital id."""

    hospital_id: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray


def scope_where(scope: BenchmarkScope, actor: Actor, alias: str = "h") -> tuple[str, dict[str, Any]]:
    """WHERE fragment over a hospitals alias for ``scope``, restated for the caller's province."""
    clauses, params = ["true"], dict[str, Any]()
    if scope.provinces is not None and len(scope.provinces) == 1:
        # Plain equality, so the planner carries it across the province_code joins to submissions:
        # with ``= ANY`` national staff's province queries walked the whole nation (0.66 s vs 0.08 s).
        clauses.append(f"{alias}.province_code = :scope_province")
        params["scope_province"] = scope.provinces[0]
    elif scope.provinces is not None:
        clauses.append(f"{alias}.province_code = ANY(:scope_provinces)")
        params["scope_provinces"] = list(scope.provinces)
    if not actor.is_national:
        clauses.append(f"{alias}.province_code = :actor_province")
        params["actor_province"] = actor.province or ""
    if scope.members is not None:  # needs the hospitals alias
        clauses.append(f"{alias}.id = ANY(:scope_members)")
        params["scope_members"] = list(scope.members)
    if scope.level is not None:
        clauses.append(f"{alias}.level = :scope_level AND {alias}.type = :scope_type")
        params.update(scope_level=scope.level, scope_type=scope.type)
    return " AND ".join(clauses), params


_INDICATORS = """
SELECT i.id, i.code, i.name, i.name_en, i.kind, i.unit, i.multiplier, i.direction, g.id, g.code, i.year
FROM indicators i JOIN goals g ON g.id = i.goal_id
WHERE i.year = :year {extra}
ORDER BY g.list, g.number, i.seq
"""


def indicators_of_year(
    session: Session, year: int, *, indicator: str | None = None, specialty: str | None = None
) -> list[IndicatorInfo]:
    """The catalog's indicators for ``year`` (one by code or id; a specialty's goals only)."""
    extra, params = "", dict[str, Any](year=year)
    if indicator:
        extra += " AND (i.code = :ind OR i.id::text = :ind)"
        params["ind"] = indicator
    if specialty:
        extra += " AND g.id IN (SELECT goal_id FROM goal_owners WHERE specialty_code = :spec)"
        params["spec"] = specialty
    rows = session.execute(text(_INDICATORS.format(extra=extra)), params).all()
    return [IndicatorInfo(*row) for row in rows]


def indicators_by_id(session: Session, ids: list[int]) -> dict[int, IndicatorInfo]:
    rows = session.execute(
        text(_INDICATORS.format(extra="").replace("i.year = :year", "i.id = ANY(:ids)")), {"ids": ids}
    ).all()
    return {row[0]: IndicatorInfo(*row) for row in rows}


_VALUES = """
SELECT v.indicator_id, array_agg(v.hospital_id), array_agg(v.numerator), array_agg(v.denominator)
FROM submission_values v
JOIN submissions s ON s.id = v.submission_id AND s.province_code = v.province_code
{join}
WHERE s.quarter = :quarter AND s.status = ANY(:statuses) AND v.indicator_id = ANY(:indicators) AND {scope}
GROUP BY v.indicator_id
"""
_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def scope_filter(scope: BenchmarkScope, actor: Actor, alias: str) -> tuple[str, str, dict[str, Any]]:
    """(JOIN, WHERE fragment, parameters) restricting rows of ``alias`` (a table with hospital_id and
    province_code) to the scope. The hospitals table is joined only for network members and peer
    groups: under row-level security the planner misjudges that join badly at national scale."""
    if scope.members is None and scope.level is None:
        return "", *scope_where(scope, actor, alias)
    join = f"JOIN hospitals h ON h.id = {alias}.hospital_id AND h.province_code = {alias}.province_code"
    return join, *scope_where(scope, actor, "h")


@contextmanager
def planner_settings(session: Session, **settings: str) -> Iterator[None]:
    """Planner settings for the statements inside the block only (transaction-local, restored after).
    Row-level security predicates make the planner estimate one row per table, and with that some
    joins go badly wrong at national scale; the callers say which and by how much."""
    names = list(settings)
    before = session.execute(
        text("SELECT " + ", ".join(f"current_setting(:n{k})" for k in range(len(names)))),
        {f"n{k}": n for k, n in enumerate(names)},
    ).one()
    _set(session, dict(zip(names, settings.values(), strict=True)))
    try:
        yield
    finally:
        _set(session, dict(zip(names, before, strict=True)))


def _set(session: Session, values: dict[str, str]) -> None:
    session.execute(
        text("SELECT " + ", ".join(f"set_config(:n{k}, :v{k}, true)" for k in range(len(values)))),
        {**{f"n{k}": n for k, n in enumerate(values)}, **{f"v{k}": v for k, v in enumerate(values.values())}},
    )


def fetch_binary(session: Session, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` (``:name`` parameters) on the session's own connection and transaction (so the
    tenant binding and row-level security apply) with psycopg's binary protocol: large integer
    arrays then arrive without text parsing. Work memory is raised for this transaction only, so
    the per-indicator aggregation does not spill to disk."""
    raw = session.connection().connection.driver_connection
    session.execute(text("SELECT set_config('work_mem', '64MB', true)"))
    assert raw is not None  # an open session's connection has its psycopg connection
    with raw.cursor(binary=True) as cursor:
        cursor.execute(_PARAM.sub(r"%(\1)s", sql), params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def value_arrays(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    *,
    quarter: Quarter,
    indicator_ids: list[int],
    include_submitted: bool = False,
) -> dict[int, ValueArrays]:
    """Current values of every indicator in ``indicator_ids``: one round trip, arrays per indicator."""
    join, where, params = scope_filter(scope, actor, "v")
    params.update(quarter=str(quarter), statuses=list(statuses(include_submitted)), indicators=indicator_ids)
    sql = _VALUES.format(scope=where, join=join)
    out: dict[int, ValueArrays] = {}
    for indicator_id, hospitals, numerators, denominators in fetch_binary(session, sql, params):
        ids = np.asarray(hospitals, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        out[indicator_id] = ValueArrays(
            ids[order],
            np.asarray(numerators, dtype=np.int64)[order],
            np.asarray(denominators, dtype=np.int64)[order],
        )
    return out


_EXPECTED = """
SELECT count(*) FROM hospitals h
WHERE {scope} AND ({owes} OR EXISTS (
    SELECT 1 FROM submissions s WHERE s.hospital_id = h.id AND s.province_code = h.province_code
    AND s.quarter = :quarter))
"""

_NOT_APPLICABLE = """
SELECT i.id, count(DISTINCT a.hospital_id)
FROM indicator_applicability a
JOIN indicators i ON i.id = a.indicator_id OR (a.indicator_id IS NULL AND i.goal_id = a.goal_id)
{join}
WHERE a.status = 'not_applicable' AND i.id = ANY(:indicators) AND {scope}
GROUP BY i.id
"""


def expected_hospitals(
    session: Session, actor: Actor, scope: BenchmarkScope, *, quarter: Quarter, indicator_ids: list[int]
) -> tuple[int, dict[int, int]]:
    """Hospitals expected to report (owing the quarter, or reporting anyway) and, per indicator, how
    many of them declared it not applicable."""
    where, params = scope_where(scope, actor)
    owes, owes_params = owes_quarter_sql(quarter)
    total = session.execute(
        text(_EXPECTED.format(scope=where, owes=owes)), {**params, "quarter": str(quarter), **owes_params}
    ).scalar_one()
    join, na_where, _ = scope_filter(scope, actor, "a")  # nation: 0.22 s with the join, 0.007 s without
    rows = session.execute(
        text(_NOT_APPLICABLE.format(scope=na_where, join=join)), {**params, "indicators": indicator_ids}
    )
    return int(total), dict(rows.all())


_MISSING = """
SELECT h.id, h.name, s.status, s.first_submitted_at, coalesce(w.due_at, :default_due) AS due_at
FROM hospitals h
LEFT JOIN submissions s ON s.hospital_id = h.id AND s.province_code = h.province_code AND s.quarter = :quarter
LEFT JOIN submission_windows w ON w.province_code = h.province_code AND w.quarter = :quarter
WHERE {scope} AND {owes}
  AND (s.first_submitted_at IS NULL OR s.first_submitted_at > coalesce(w.due_at, :default_due))
ORDER BY h.id
"""


def hospitals_missing(
    session: Session, actor: Actor, scope: BenchmarkScope, *, quarter: Quarter
) -> list[dict[str, Any]]:
    """Hospitals owing the quarter that had submitted nothing by the due date (the window's, or the
    default)."""
    from services.submission.windows import default_window

    where, params = scope_where(scope, actor)
    owes, owes_params = owes_quarter_sql(quarter)
    params.update(quarter=str(quarter), default_due=default_window("000000", quarter).due_at, **owes_params)
    rows = session.execute(text(_MISSING.format(scope=where, owes=owes)), params)
    return [dict(row._mapping) for row in rows]


def hospital_labels(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Name, province, level and type of hospitals (RLS limits what the caller may read)."""
    if not ids:
        return {}
    rows = session.execute(
        text("SELECT id, name, province_code, level, type FROM hospitals WHERE id = ANY(:ids)"), {"ids": ids}
    )
    return {
        i: {"id": i, "name": name, "province_code": province, "level": level, "type": kind}
        for i, name, province, level, kind in rows
    }


_VERSION = """
SELECT vv.id, v.hospital_id, v.indicator_id, v.numerator, v.denominator, v.version
FROM submission_values v
JOIN submissions s ON s.id = v.submission_id AND s.province_code = v.province_code
JOIN hospitals h ON h.id = v.hospital_id AND h.province_code = v.province_code
LEFT JOIN submission_value_versions vv ON vv.submission_id = v.submission_id
     AND vv.indicator_id = v.indicator_id AND vv.version = v.version
WHERE s.quarter = :quarter AND s.status = ANY(:statuses) AND {scope}
ORDER BY v.hospital_id, v.indicator_id
"""


def data_version(
    session: Session,
    actor: Actor,
    scope: BenchmarkScope,
    *,
    quarter: Quarter,
    include_submitted: bool = False,
) -> tuple[int, str, int]:
    """(highest value-version id read, sha256 of every value read, number of values)."""
    where, params = scope_where(scope, actor)
    params.update(quarter=str(quarter), statuses=list(statuses(include_submitted)))
    digest, highest, count = hashlib.sha256(), 0, 0
    for version_id, hospital_id, indicator_id, x, n, version in session.execute(
        text(_VERSION.format(scope=where)), params
    ):
        digest.update(f"{hospital_id}:{indicator_id}:{x}:{n}:{version};".encode())
        highest = max(highest, version_id or 0)
        count += 1
    return highest, digest.hexdigest(), count


_HOSPITAL_VALUES = """
SELECT v.indicator_id, v.numerator, v.denominator
FROM submission_values v
JOIN submissions s ON s.id = v.submission_id AND s.province_code = v.province_code
WHERE s.hospital_id = :hospital AND s.quarter = :quarter AND s.status = ANY(:statuses)
  AND v.indicator_id = ANY(:indicators) {province}
"""


def hospital_values(
    session: Session,
    actor: Actor,
    *,
    hospital_id: int,
    quarter: Quarter,
    indicator_ids: list[int],
    include_submitted: bool = False,
) -> dict[int, tuple[int, int]]:
    """One hospital's current values: indicator id → (numerator, denominator)."""
    province = "" if actor.is_national else "AND s.province_code = :actor_province"
    params = {
        "hospital": hospital_id,
        "quarter": str(quarter),
        "statuses": list(statuses(include_submitted)),
        "indicators": indicator_ids,
        "actor_province": actor.province or "",
    }
    rows = session.execute(text(_HOSPITAL_VALUES.format(province=province)), params)
    return {ind: (x, n) for ind, x, n in rows}
