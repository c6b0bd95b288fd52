"""QC-center benchmark settings: the minimum denominator and optional targets per indicator.

Which center's settings apply to a scope: the scope's province's general (综合) QC center when the
scope lies in one province, else the national center; a missing value falls back to the national
center's and then to the platform default (``DEFAULT_MIN_DENOMINATOR`` = 10, the pooled rate as
target).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services.benchmark.stats import DEFAULT_MIN_DENOMINATOR
from services.core.actor import Actor, Role
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.models import BenchmarkSetting, BenchmarkTarget, Indicator, QcCenter
from services.registry.queries import load_qc_center


@dataclass(frozen=True)
class EffectiveSettings:
    min_denominator: int = DEFAULT_MIN_DENOMINATOR
    targets: dict[int, float] = field(default_factory=dict)
    source: str = "default"  # default | national | province:330000


def _general_center_ids(session: Session, province: str | None) -> list[tuple[int, str | None]]:
    """[(center id, province)] for the province's general center, then the national one."""
    stmt = select(QcCenter.id, QcCenter.province_code).where(
        QcCenter.specialty_code.is_(None), QcCenter.active
    )
    wanted = [province, None] if province else [None]
    rows = session.execute(stmt).all()
    return [(cid, prov) for want in wanted for cid, prov in rows if prov == want]


def effective_settings(session: Session, *, province: str | None) -> EffectiveSettings:
    centers = _general_center_ids(session, province)
    if not centers:
        return EffectiveSettings()
    ids = [cid for cid, _ in centers]
    settings = {
        s.qc_center_id: s
        for s in session.scalars(select(BenchmarkSetting).where(BenchmarkSetting.qc_center_id.in_(ids)))
    }
    targets: dict[int, float] = {}
    for cid in reversed(ids):  # the province's own target overrides the national one
        for t in session.scalars(select(BenchmarkTarget).where(BenchmarkTarget.qc_center_id == cid)):
            targets[t.indicator_id] = float(t.target)
    for cid, prov in centers:
        if cid in settings:
            source = f"province:{prov}" if prov else "national"
            return EffectiveSettings(settings[cid].min_denominator, targets, source)
    return EffectiveSettings(targets=targets)


def _ensure_admin_of(session: Session, actor: Actor, center_id: int) -> QcCenter:
    center = load_qc_center(session, actor, center_id)  # out of scope answers like not found
    if not actor.has(Role.NATIONAL_ADMIN, Role.PROVINCIAL_ADMIN):
        raise PermissionDenied("只有管理员可修改对标设置 / only administrators may change benchmark settings")
    if center.province_code is None and not actor.is_national:
        raise PermissionDenied(
            "国家级设置只能由国家管理员修改 / national settings are changed by national admins"
        )
    return center


def set_min_denominator(session: Session, actor: Actor, *, qc_center_id: int, value: int) -> BenchmarkSetting:
    if value < 1:
        raise ValidationFailed(
            "最小分母须为正整数 / the minimum denominator must be a positive integer",
            problems=[{"field": "min_denominator", "problem": "must be >= 1"}],
        )
    center = _ensure_admin_of(session, actor, qc_center_id)
    row = session.scalars(select(BenchmarkSetting).where(BenchmarkSetting.qc_center_id == center.id)).first()
    if row is None:
        row = BenchmarkSetting(
            qc_center_id=center.id, province_code=center.province_code, updated_by=actor.subject
        )
        session.add(row)
    before = {"min_denominator": row.min_denominator} if row.id else None
    row.min_denominator, row.updated_by = value, actor.subject
    session.flush()
    audit.record(
        session,
        actor,
        action="benchmark.min_denominator",
        entity="qc_center",
        entity_id=center.id,
        before=before,
        after={"min_denominator": value},
        province_code=center.province_code,
    )
    return row


def set_target(
    session: Session, actor: Actor, *, qc_center_id: int, indicator_id: int, target: Decimal, note: str = ""
) -> BenchmarkTarget:
    if not Decimal(0) <= target <= Decimal(1):
        raise ValidationFailed(
            "目标值须在 0 与 1 之间 / the target must be a proportion in [0, 1]",
            problems=[{"field": "target", "problem": "must be within [0, 1]"}],
        )
    center = _ensure_admin_of(session, actor, qc_center_id)
    row = session.scalars(
        select(BenchmarkTarget).where(
            BenchmarkTarget.qc_center_id == center.id, BenchmarkTarget.indicator_id == indicator_id
        )
    ).first()
    if row is None:
        row = BenchmarkTarget(
            qc_center_id=center.id,
            province_code=center.province_code,
            indicator_id=indicator_id,
            target=target,
            set_by=actor.subject,
        )
        session.add(row)
    before = {"target": str(row.target), "note": row.note} if row.id else None
    row.target, row.note, row.set_by = target, note, actor.subject
    session.flush()
    audit.record(
        session,
        actor,
        action="benchmark.target",
        entity="qc_center",
        entity_id=center.id,
        before=before,
        after={"indicator_id": indicator_id, "target": str(target), "note": note},
        province_code=center.province_code,
    )
    return row


def set_target_for_code(
    session: Session, actor: Actor, *, qc_center_id: int, indicator_code: str, target: Decimal, note: str = ""
) -> BenchmarkTarget:
    """``set_target`` addressed by the indicator's catalog code (what QC staff type)."""
    indicator_id = session.scalar(select(Indicator.id).where(Indicator.code == indicator_code))
    if indicator_id is None:
        raise NotFound(f"指标 {indicator_code} 不存在 / no indicator {indicator_code!r} in the catalog")
    return set_target(
        session, actor, qc_center_id=qc_center_id, indicator_id=indicator_id, target=target, note=note
    )
