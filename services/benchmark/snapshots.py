"""Frozen laggard flags: what was reported for a province × quarter, never rewritten.

A snapshot is taken (approved data only) when the province's submission window for the quarter
locks — ``freeze_locked_windows`` is run by the scheduler (``qcp flags freeze-locked``, every few
minutes) — or earlier/explicitly by a provincial admin (``POST /api/v1/flags/{quarter}/freeze``).
It stores the highest value-version id, a hash of every value it read and the rules that raised
the flags (flag rule, limits, over-dispersion, minimum denominators per unit). A second freeze of
the same scope × quarter is refused; corrections made later change the live flags only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Text, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from services.benchmark.flags import BASE_KINDS, Flag, PreviousLookup, compute_flags
from services.benchmark.queries import data_version
from services.benchmark.scope import BenchmarkScope, resolve_scope
from services.core.actor import Actor, Role
from services.core.errors import Conflict, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.models import CatalogYear, FlagSnapshot, FlagSnapshotEntry, Indicator, Province
from services.submission.windows import effective_window


def find_snapshot(session: Session, scope: BenchmarkScope, quarter: Quarter) -> FlagSnapshot | None:
    if scope.province is None:
        return None
    stmt = select(FlagSnapshot).where(
        FlagSnapshot.province_code == scope.province,
        FlagSnapshot.scope == scope.key,
        FlagSnapshot.quarter == str(quarter),
    )
    return session.scalars(stmt).first()


# The frozen flags as read-only rows (attribute access like the entity, 4× faster than ORM objects
# for a province's ~10,000), without the whole ``evidence``: only its rule is shown.
# The rule that raised each flag is read out of the evidence (limits | fdr | decile | …).
_ENTRY_COLUMNS = [
    *(c for c in FlagSnapshotEntry.__table__.columns if c.name != "evidence"),
    FlagSnapshotEntry.evidence["rule"].astext.label("rule"),
]


def _of(snapshot: FlagSnapshot, hospital_id: int | None = None) -> list[Any]:
    where = [
        FlagSnapshotEntry.snapshot_id == snapshot.id,
        FlagSnapshotEntry.province_code == snapshot.province_code,
    ]
    if hospital_id is not None:
        where.append(FlagSnapshotEntry.hospital_id == hospital_id)
    return where


def snapshot_entries(
    session: Session, snapshot: FlagSnapshot, *, hospital_id: int | None = None
) -> list[Row[*tuple[Any, ...]]]:
    stmt = select(*_ENTRY_COLUMNS).where(*_of(snapshot, hospital_id))
    return list(session.execute(stmt.order_by(FlagSnapshotEntry.hospital_id, FlagSnapshotEntry.id)))


def most_severe_entries(
    session: Session,
    snapshot: FlagSnapshot,
    *,
    top: int,
    severity: tuple[str, ...],
    hospital_id: int | None = None,
) -> tuple[list[Row[*tuple[Any, ...]]], int]:
    """The ``top`` most severe frozen flags and how many there are, sorted by the database in the
    order of ``laggards.severity_key`` (kind, largest |z|, hospital, indicator code bytewise)."""
    e, where = FlagSnapshotEntry, _of(snapshot, hospital_id)
    rank = func.coalesce(func.array_position(literal(list(severity), ARRAY(Text)), e.kind), len(severity))
    stmt = (
        select(*_ENTRY_COLUMNS)
        .outerjoin(Indicator, Indicator.id == e.indicator_id)
        .where(*where)
        .order_by(
            rank,
            func.abs(func.coalesce(e.z, 0.0)).desc(),
            e.hospital_id,
            func.coalesce(Indicator.code, "").collate("C"),
        )
        .limit(top)
    )
    total = session.execute(select(func.count()).select_from(e).where(*where)).scalar_one()
    return list(session.execute(stmt)), total


def frozen_lookup(session: Session, scope: BenchmarkScope) -> PreviousLookup:
    """For ``compute_flags``: earlier quarters' frozen alarm/alert/decile pairs, when frozen."""

    def lookup(quarter: Quarter) -> set[tuple[int, int]] | None:
        snap = find_snapshot(session, scope, quarter)
        if snap is None:
            return None
        rows = session.execute(
            select(FlagSnapshotEntry.hospital_id, FlagSnapshotEntry.indicator_id).where(
                *_of(snap), FlagSnapshotEntry.kind.in_(BASE_KINDS)
            )
        )
        return {(hospital, indicator) for hospital, indicator in rows if indicator is not None}

    return lookup


def _check_freezer(actor: Actor, scope: BenchmarkScope) -> None:
    if not actor.has(Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN):
        raise PermissionDenied(
            "只有省级管理员或国家管理员可冻结标记 / only provincial or national admins may freeze flags"
        )
    if scope.province is None or scope.own_hospital_only:
        raise ValidationFailed(
            "只能冻结单个省份内的范围 / only scopes within one province can be frozen",
            problems=[
                {"field": "scope", "problem": "use province:<code>, peer:…@<code> or a provincial network"}
            ],
        )


def _entry(snapshot: FlagSnapshot, flag: Flag) -> dict[str, Any]:
    return dict(
        snapshot_id=snapshot.id,
        province_code=snapshot.province_code,
        hospital_id=flag.hospital_id,
        indicator_id=flag.indicator.id if flag.indicator else None,
        kind=flag.kind,
        numerator=flag.numerator,
        denominator=flag.denominator,
        z=flag.z,
        reason=flag.reason,
        reason_en=flag.reason_en,
        evidence=_jsonable(flag.evidence or {}),
    )


def _jsonable(evidence: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars → Python, NaN → None (JSON has no NaN)."""
    out = {}
    for k, v in evidence.items():
        v = v.item() if hasattr(v, "item") else v
        out[k] = None if isinstance(v, float) and v != v else v
    return out


def freeze_scope(
    session: Session, actor: Actor, scope: BenchmarkScope, *, quarter: Quarter, trigger: str = "manual"
) -> FlagSnapshot:
    """Freeze the flags of a resolved scope × quarter (approved data only)."""
    _check_freezer(actor, scope)
    if find_snapshot(session, scope, quarter) is not None:
        raise Conflict(
            f"{scope.label} {quarter} 的标记已冻结 / flags for {scope.key} {quarter} are already frozen",
            scope=scope.key,
            quarter=str(quarter),
        )
    version, digest, count = data_version(session, actor, scope, quarter=quarter)
    report, flags = compute_flags(
        session, actor, scope, quarter=quarter, frozen=frozen_lookup(session, scope), early_warning=True
    )
    snapshot = FlagSnapshot(
        province_code=scope.province,
        scope=scope.key,
        quarter=str(quarter),
        include_submitted=False,
        data_version=version,
        data_hash=digest,
        values_used=count,
        min_denominator=report.settings.min_denominator,
        rules=report.rules,
        trigger=trigger,
        created_by=actor.subject,
        catalog_revision=catalog_revision(session, quarter.year),
    )
    session.add(snapshot)
    session.flush()
    if flags:  # one multi-row INSERT per batch, not one ORM object per flag (10 s → < 1 s a province)
        session.execute(insert(FlagSnapshotEntry), [_entry(snapshot, f) for f in flags])
    from services.notification.triggers import flags_frozen

    flags_frozen(session, snapshot)  # each hospital hears of its own flags, the QC center of all
    return snapshot


def catalog_revision(session: Session, year: int) -> int:
    """The current revision of ``year``'s catalog: what a snapshot frozen now was computed with."""
    return session.scalar(select(CatalogYear.revision).where(CatalogYear.year == year)) or 1


def freeze(
    session: Session, actor: Actor, *, quarter: Quarter, scope: str | None = None, trigger: str = "manual"
) -> FlagSnapshot:
    resolved = resolve_scope(session, actor, scope, quarter=quarter)
    return freeze_scope(session, actor, resolved, quarter=quarter, trigger=trigger)


def _unfrozen_provinces(session: Session, actor: Actor, quarter: Quarter) -> list[str]:
    stmt = select(Province.code).where(
        Province.onboarded_at.is_not(None),
        Province.offboarded_at.is_(None),
        ~select(FlagSnapshot.id)
        .where(
            FlagSnapshot.province_code == Province.code,
            FlagSnapshot.quarter == str(quarter),
            FlagSnapshot.scope == "province:" + Province.code,
        )
        .exists(),
    )
    if not actor.is_national:
        stmt = stmt.where(Province.code == actor.province)
    return list(session.scalars(stmt.order_by(Province.code)))


def freeze_locked_windows(
    session: Session, actor: Actor, *, now: datetime | None = None, lookback: int = 4
) -> list[FlagSnapshot]:
    """Freeze every province × quarter (of the last ``lookback`` quarters) whose submission window
    (configured or default) has locked and that is not frozen yet. Run by the scheduler."""
    now = now or datetime.now(UTC)
    quarter, done = Quarter.containing(now.date()).previous(), []
    published = set(session.scalars(select(CatalogYear.year)))
    for _ in range(lookback):
        if quarter.year not in published:  # no catalog, nothing to report: never a vacuous snapshot
            quarter = quarter.previous()
            continue
        for province in _unfrozen_provinces(session, actor, quarter):
            if effective_window(session, province, quarter).locks_at <= now:
                done.append(
                    freeze(
                        session, actor, quarter=quarter, scope=f"province:{province}", trigger="window_lock"
                    )
                )
        quarter = quarter.previous()
    return done
