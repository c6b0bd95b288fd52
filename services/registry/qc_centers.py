"""QC centers (质控中心): national or provincial, general (医政/综合, specialty NULL) or one specialty.

Only national admins create and change them; everyone bound to a scope reads the national centers
and their own province's.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor
from services.core.errors import Conflict, PermissionDenied, ValidationFailed
from services.identity.permissions import require
from services.models import Province, QcCenter, Specialty
from services.registry.changes import apply_audited, requested_changes
from services.registry.queries import conflicts_as, load_qc_center, qc_centers_stmt
from services.registry.schemas import QcCenterCreate, QcCenterUpdate, QcLevel

WRITE = "registry.qc_center.write"
CONFLICTS = {
    "uq_qc_centers_scope": "该范围已有质控中心 / a QC center for this level, province and specialty exists"
}


def _require_national_writer(actor: Actor) -> None:
    require(actor, WRITE)
    if not actor.is_national:  # QC centers are set up nationally, whatever the province can do with them
        raise PermissionDenied(
            "质控中心由国家管理员设立和维护 / QC centers are created and managed by national admins"
        )


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, problems=[{"field": field, "problem": message.split(" / ")[-1]}])


def _check_scope(session: Session, data: QcCenterCreate) -> None:
    if data.level == "national" and data.province_code is not None:
        raise _invalid(
            "province_code", "国家级质控中心不属于任何省份 / a national QC center has no province_code"
        )
    if data.level == "provincial":
        if data.province_code is None:
            raise _invalid(
                "province_code", "省级质控中心必须指定省份 / a provincial QC center needs province_code"
            )
        if session.get(Province, data.province_code) is None:
            raise _invalid(
                "province_code", f"省份 {data.province_code} 不存在 / unknown province {data.province_code}"
            )
    if data.specialty_code is not None and session.get(Specialty, data.specialty_code) is None:
        known = session.execute(select(Specialty.code).order_by(Specialty.seq)).scalars().all()
        raise _invalid(
            "specialty_code",
            f"专业 {data.specialty_code!r} 不在专业目录中 / unknown specialty {data.specialty_code!r}; "
            f"known: {', '.join(known) or '(catalog not loaded)'}",
        )


def _existing(session: Session, actor: Actor, data: QcCenterCreate) -> QcCenter | None:
    # Named answer with the existing id; the constraint (NULLS NOT DISTINCT) settles races.
    stmt = qc_centers_stmt(actor).where(
        QcCenter.level == data.level,
        QcCenter.province_code.is_not_distinct_from(data.province_code),
        QcCenter.specialty_code.is_not_distinct_from(data.specialty_code),
    )
    return session.execute(stmt).scalar_one_or_none()


def create_qc_center(session: Session, actor: Actor, *, data: QcCenterCreate) -> QcCenter:
    _require_national_writer(actor)
    _check_scope(session, data)
    existing = _existing(session, actor, data)
    if existing is not None:
        raise Conflict(
            f"该范围已有质控中心（id {existing.id}）/ a QC center for this level, province and specialty "
            f"already exists (id {existing.id})",
            existing_id=existing.id,
        )
    center = QcCenter(**data.model_dump())
    with conflicts_as(session, CONFLICTS):
        session.add(center)
    session.refresh(center)
    audit.record(
        session,
        actor,
        action="qc_center.create",
        entity="qc_center",
        entity_id=center.id,
        before=None,
        after=audit.snapshot(center),
        province_code=center.province_code,
    )
    return center


def find_qc_center(
    session: Session, actor: Actor, *, level: QcLevel, province_code: str | None, specialty_code: str | None
) -> QcCenter | None:
    data = QcCenterCreate(level=level, province_code=province_code, specialty_code=specialty_code, name="--")
    return _existing(session, actor, data)


def update_qc_center(session: Session, actor: Actor, *, qc_center_id: int, data: QcCenterUpdate) -> QcCenter:
    _require_national_writer(actor)
    center = load_qc_center(session, actor, qc_center_id, for_update=True)
    changes = requested_changes(data, center)
    if not changes:
        return center
    return apply_audited(
        session,
        actor,
        center,
        changes,
        entity="qc_center",
        action="update",
        reason=data.reason,
        conflicts=CONFLICTS,
    )


def get_qc_center(session: Session, actor: Actor, *, qc_center_id: int) -> QcCenter:
    return load_qc_center(session, actor, qc_center_id)


def list_qc_centers(
    session: Session,
    actor: Actor,
    *,
    level: str | None = None,
    province_code: str | None = None,
    specialty_code: str | None = None,
) -> list[QcCenter]:
    stmt = qc_centers_stmt(actor)
    if level is not None:
        stmt = stmt.where(QcCenter.level == level)
    if province_code is not None:
        stmt = stmt.where(QcCenter.province_code == province_code)
    if specialty_code is not None:
        stmt = stmt.where(QcCenter.specialty_code == specialty_code)
    order = (QcCenter.level, QcCenter.province_code.nulls_first(), QcCenter.specialty_code.nulls_first())
    return list(session.execute(stmt.order_by(*order)).scalars())
