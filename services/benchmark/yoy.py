"""Year over year, following the catalog lineage (rules in ``lineage.py``).

For a hospital and each indicator of the quarter's catalog year: the same quarter a year earlier
on the predecessor indicator, the change (in percentage points for % indicators, else in the
indicator's unit) with its 95% interval and a direction-aware verdict — or, where the lineage
says the definition changed, "不可比 / not comparable" with the lineage's reason instead of a number.
Scope-level YoY compares pooled rates the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.benchmark.change import VERDICT_LABELS, change
from services.benchmark.lineage import Predecessor, partial_goal_notes, predecessors, retired_before
from services.benchmark.queries import (
    IndicatorInfo,
    ValueArrays,
    hospital_values,
    indicators_of_year,
    value_arrays,
)
from services.benchmark.scope import distribution_view, resolve_scope
from services.core.actor import Actor
from services.core.quarter import Quarter
from services.identity.permissions import require
from services.registry.queries import load_hospital

STATUS_LABELS = {
    "comparable": ("可比", "comparable"),
    "partial": ("部分可比", "partially comparable"),
    "not_comparable": ("不可比", "not comparable"),
    "new": ("新增指标", "new indicator"),
    "merged": ("不可比", "not comparable"),
    "retired": ("已停用", "retired"),
}


def earlier_quarter(quarter: Quarter, pred: Predecessor) -> Quarter:
    """The same quarter of the predecessor's year (a year earlier, or before a gap)."""
    return Quarter(pred.from_year, quarter.q) if pred.from_year else quarter.year_earlier()


def _rate(counts: tuple[int, int] | None, multiplier: int) -> float | None:
    x, n = counts or (None, None)
    return None if not n or x is None else round(x / n * multiplier, 6)


def _comparison(
    info: IndicatorInfo, now: tuple[int, int] | None, before: tuple[int, int] | None
) -> dict[str, Any]:
    m = info.multiplier
    if not now or not before or not now[1] or not before[1]:
        return {"change": None, "change_low": None, "change_high": None, "verdict": "insufficient"}
    result = change(info.kind, [now[0]], [now[1]], [before[0]], [before[1]], direction=info.direction)
    low, high = result.low[0], result.high[0]
    return {
        "change": round(float(result.difference[0]) * m, 4),
        "change_low": None if low != low else round(float(low) * m, 4),
        "change_high": None if high != high else round(float(high) * m, 4),
        "verdict": str(result.verdict[0]),
    }


def _label(row: dict[str, Any]) -> dict[str, Any]:
    zh, en = STATUS_LABELS[row["comparability"]]
    row.update(comparability_label=zh, comparability_label_en=en)
    if row.get("verdict"):
        row["verdict_label"], row["verdict_label_en"] = VERDICT_LABELS[row["verdict"]]
    return row


def _row(
    info: IndicatorInfo,
    pred: Predecessor,
    quarter: Quarter,
    now: tuple[int, int] | None,
    before: tuple[int, int] | None,
    note: tuple[str, str] | None,
) -> dict[str, Any]:
    row = {
        "indicator_id": info.id,
        "indicator_code": info.code,
        "indicator_name": info.name,
        "indicator_name_en": info.name_en,
        "unit": info.unit,
        "change_unit": "百分点 / pp" if info.unit == "%" else info.unit,
        "direction": info.direction,
        "quarter": str(quarter),
        "numerator": now[0] if now else None,
        "denominator": now[1] if now else None,
        "rate": _rate(now, info.multiplier),
        "comparability": pred.status,
        "reason": pred.reason,
        "reason_en": pred.reason_en,
        "previous_quarter": None,
        "previous_indicator_code": pred.from_code,
        "previous_numerator": None,
        "previous_denominator": None,
        "previous_rate": None,
        "change": None,
        "change_low": None,
        "change_high": None,
        "verdict": None,
        "across_gap": pred.across_gap,
    }
    if note:
        row["goal_note"], row["goal_note_en"] = note
    if pred.compares:
        row.update(
            previous_quarter=str(earlier_quarter(quarter, pred)),
            previous_numerator=before[0] if before else None,
            previous_denominator=before[1] if before else None,
            previous_rate=_rate(before, info.multiplier),
        )
        row.update(_comparison(info, now, before))
    return _label(row)


def _earlier_values(
    session: Session,
    actor: Actor,
    hospital_id: int,
    quarter: Quarter,
    preds: dict[int, Predecessor],
    include_submitted: bool,
) -> dict[int, tuple[int, int]]:
    """Earlier values keyed by the *current* indicator id (one query per earlier quarter, usually one)."""
    by_quarter: dict[Quarter, dict[int, int]] = {}
    for current, pred in preds.items():
        if pred.compares:
            by_quarter.setdefault(earlier_quarter(quarter, pred), {})[pred.source_id] = current
    out: dict[int, tuple[int, int]] = {}
    for q, mapping in by_quarter.items():
        values = hospital_values(
            session,
            actor,
            hospital_id=hospital_id,
            quarter=q,
            indicator_ids=list(mapping),
            include_submitted=include_submitted,
        )
        out.update({mapping[from_id]: v for from_id, v in values.items()})
    return out


def hospital_yoy(
    session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter, include_submitted: bool = False
) -> dict[str, Any]:
    """Every indicator of one hospital for ``quarter`` against a year earlier, plus retired ones."""
    require(actor, "benchmark.read")
    hospital = load_hospital(session, actor, hospital_id)  # another tenant's hospital: not found
    infos = indicators_of_year(session, quarter.year, specialty=actor.specialty)
    ids = [i.id for i in infos]
    preds = predecessors(session, ids)
    notes = partial_goal_notes(session, ids)
    now = hospital_values(
        session,
        actor,
        hospital_id=hospital_id,
        quarter=quarter,
        indicator_ids=ids,
        include_submitted=include_submitted,
    )
    before = _earlier_values(session, actor, hospital_id, quarter, preds, include_submitted)
    rows = [_row(i, preds[i.id], quarter, now.get(i.id), before.get(i.id), notes.get(i.id)) for i in infos]
    retired = [
        _label(
            {
                **r,
                "indicator_id": r.pop("id"),
                "indicator_code": r.pop("code"),
                "indicator_name": r.pop("name"),
                "indicator_name_en": r.pop("name_en"),
                "comparability": "retired",
            }
        )
        for r in retired_before(session, quarter.year)
    ]
    return {
        "hospital_id": hospital.id,
        "hospital_name": hospital.name,
        "quarter": str(quarter),
        "indicators": rows,
        "retired": retired,
    }


def _pooled(arrays: dict[int, ValueArrays], ind: int) -> tuple[int, int] | None:
    values = arrays.get(ind)
    if values is None:
        return None
    keep = values.denominator > 0
    return int(values.numerator[keep].sum()), int(values.denominator[keep].sum())


def scope_yoy(
    session: Session,
    actor: Actor,
    *,
    quarter: Quarter,
    scope: str | None = None,
    include_submitted: bool = False,
) -> dict[str, Any]:
    """Pooled rate of each indicator in a scope against the same quarter a year earlier.

    The pooled rates are compared as if each were one sample (hospitals' clustering is ignored),
    which makes the interval narrower than a hospital-level analysis would.
    """
    resolved = resolve_scope(session, actor, scope, quarter=quarter)
    infos = indicators_of_year(session, quarter.year, specialty=actor.specialty)
    preds = predecessors(session, [i.id for i in infos])
    with distribution_view(session, actor, resolved):
        now = value_arrays(
            session,
            actor,
            resolved,
            quarter=quarter,
            indicator_ids=[i.id for i in infos],
            include_submitted=include_submitted,
        )
        wanted: dict[Quarter, list[int]] = {}  # one read per earlier quarter, not one per indicator
        for info in infos:
            if preds[info.id].compares:
                wanted.setdefault(earlier_quarter(quarter, preds[info.id]), []).append(
                    preds[info.id].source_id
                )
        past = {
            q: value_arrays(
                session,
                actor,
                resolve_scope(session, actor, resolved.key, quarter=q),
                quarter=q,
                indicator_ids=ids,
                include_submitted=include_submitted,
            )
            for q, ids in wanted.items()
        }
        earlier: dict[int, tuple[int, int] | None] = {
            info.id: _pooled(past[earlier_quarter(quarter, preds[info.id])], preds[info.id].source_id)
            for info in infos
            if preds[info.id].compares
        }
    rows = [_row(i, preds[i.id], quarter, _pooled(now, i.id), earlier.get(i.id), None) for i in infos]
    return {"scope": resolved.key, "scope_label": resolved.label, "quarter": str(quarter), "indicators": rows}
