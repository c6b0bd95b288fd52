"""The laggard table of a scope × quarter: the frozen snapshot when there is one, else live flags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from services.benchmark.flag_reasons import KIND_LABELS
from services.benchmark.flags import Flag, compute_flags
from services.benchmark.queries import IndicatorInfo, hospital_labels, indicators_by_id, indicators_of_year
from services.benchmark.scope import resolve_scope
from services.benchmark.snapshots import find_snapshot, frozen_lookup, most_severe_entries, snapshot_entries
from services.core.actor import Actor
from services.core.quarter import Quarter

LAGGARD_COLUMNS = (
    "hospital_id",
    "hospital_name",
    "indicator_code",
    "indicator_name",
    "kind",
    "kind_label",
    "rule",
    "numerator",
    "denominator",
    "rate",
    "z",
    "reason",
    "reason_en",
)


SEVERITY = tuple(KIND_LABELS)  # alarm, alert, worst decile, persistent, deteriorating, early warning, missing


def severity_key(kind: str, z: float | None, hospital_id: int, indicator_code: str | None) -> tuple[Any, ...]:
    """Most severe first: by kind (SEVERITY), then the largest |z|, then hospital and indicator."""
    rank = SEVERITY.index(kind) if kind in SEVERITY else len(SEVERITY)
    return rank, -abs(z or 0.0), hospital_id, indicator_code or ""


def most_severe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Laggard rows (``laggards()["flags"]``) most severe first."""
    return sorted(rows, key=lambda r: severity_key(r["kind"], r["z"], r["hospital_id"], r["indicator_code"]))


def _row(
    hospital_id: int,
    kind: str,
    info: IndicatorInfo | None,
    x: int | None,
    n: int | None,
    z: float | None,
    reason: str,
    reason_en: str,
    labels: dict[int, dict[str, Any]],
    rule: str | None,
) -> dict[str, Any]:
    zh, en = KIND_LABELS[kind]
    rate = None
    if info is not None and n and x is not None:
        rate = round(x / n * info.multiplier, 4)
    return {
        "hospital_id": hospital_id,
        "hospital_name": labels.get(hospital_id, {}).get("name"),
        "indicator_code": info.code if info else None,
        "indicator_name": info.name if info else None,
        "kind": kind,
        "kind_label": f"{zh} / {en}",
        "rule": rule,
        "numerator": x,
        "denominator": n,
        "rate": rate,
        "z": z,
        "reason": reason,
        "reason_en": reason_en,
    }


def _from_flags(flags: list[Flag], labels: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        _row(
            f.hospital_id,
            f.kind,
            f.indicator,
            f.numerator,
            f.denominator,
            f.z,
            f.reason,
            f.reason_en,
            labels,
            (f.evidence or {}).get("rule"),
        )
        for f in flags
    ]


def _for_specialty(session: Session, actor: Actor, quarter: Quarter, entries: list[Any]) -> list[Any]:
    """Specialty QC staff see only their specialty's indicators (and whole-quarter 'missing' flags),
    as the live computation does: a snapshot holds every specialty's flags."""
    if not actor.specialty:
        return entries
    allowed = {i.id for i in indicators_of_year(session, quarter.year, specialty=actor.specialty)}
    return [e for e in entries if e.indicator_id is None or e.indicator_id in allowed]


def laggards(
    session: Session,
    actor: Actor,
    *,
    quarter: Quarter,
    scope: str | None = None,
    live: bool = False,
    include_submitted: bool = False,
    hospital_id: int | None = None,
    top: int | None = None,
) -> dict[str, Any]:
    """Flags for the scope × quarter, most severe first. Frozen snapshot by default when it exists
    (``frozen`` true). ``hospital_id``: only that hospital's flags (a hospital user's scope already
    holds only its own; asking for another hospital then finds none). ``top``: only the ``top`` most
    severe (``total`` still counts them all: a province has ~10,000)."""
    resolved = resolve_scope(session, actor, scope, quarter=quarter)
    snapshot = None if live or include_submitted else find_snapshot(session, resolved, quarter)
    viewer = hospital_id
    if resolved.own_hospital_only:  # a hospital user: its own flags, and none of another hospital's
        viewer = resolved.viewer_hospital_id if hospital_id in (None, resolved.viewer_hospital_id) else -1
    if snapshot is not None:
        if top is not None and not actor.specialty:  # the database sorts and counts (a province: ~10,000)
            entries, total = most_severe_entries(
                session, snapshot, top=top, severity=SEVERITY, hospital_id=viewer
            )
        else:
            entries = _for_specialty(
                session, actor, quarter, snapshot_entries(session, snapshot, hospital_id=viewer)
            )
            total = len(entries)
        infos = indicators_by_id(session, sorted({e.indicator_id for e in entries if e.indicator_id}))
        if top is None or actor.specialty:

            def code(e: Row[*tuple[Any, ...]]) -> str | None:
                return infos[e.indicator_id].code if e.indicator_id in infos else None

            entries = sorted(entries, key=lambda e: severity_key(e.kind, e.z, e.hospital_id, code(e)))[:top]
        labels = hospital_labels(session, sorted({e.hospital_id for e in entries}))
        rows = [
            _row(
                e.hospital_id,
                e.kind,
                infos.get(e.indicator_id),
                e.numerator,
                e.denominator,
                e.z,
                e.reason,
                e.reason_en,
                labels,
                e.rule,
            )
            for e in entries
        ]
        meta = {
            "frozen": True,
            "snapshot_id": snapshot.id,
            "data_version": snapshot.data_version,
            "data_hash": snapshot.data_hash,
            "frozen_at": snapshot.created_at.isoformat(),
            "frozen_by": snapshot.created_by,
            "trigger": snapshot.trigger,
            "min_denominator": snapshot.min_denominator,
            "rules": snapshot.rules,
        }
    else:
        report, flags = compute_flags(
            session,
            actor,
            resolved,
            quarter=quarter,
            include_submitted=include_submitted,
            frozen=frozen_lookup(session, resolved),
            hospital_id=viewer,
            early_warning=viewer is not None,  # one hospital's list: cheap enough to follow its series
        )
        flags = [f for f in flags if viewer is None or f.hospital_id == viewer]
        flags.sort(
            key=lambda f: severity_key(f.kind, f.z, f.hospital_id, f.indicator.code if f.indicator else None)
        )
        total, flags = len(flags), flags[:top] if top is not None else flags
        labels = hospital_labels(session, sorted({f.hospital_id for f in flags}))
        rows = _from_flags(flags, labels)
        meta = {
            "frozen": False,
            "note": "实时计算，尚未冻结 / computed live, not frozen",
            "rules": report.rules,
        }
    return {
        "quarter": str(quarter),
        "scope": resolved.key,
        "scope_label": resolved.label,
        "include_submitted": include_submitted,
        **meta,
        "total": total,
        "flags": rows,
    }
