"""Hospital registry: provincial QC admins register, update and deactivate their province's hospitals.

National admins may act in any province (the onboarding CLI does, as the system actor).
Deactivation keeps the row and its history (``active = false``, ``deactivated_at``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor
from services.core.errors import ValidationFailed
from services.identity.permissions import require
from services.models import Hospital, Province
from services.registry import credit_code as cc
from services.registry.changes import apply_audited, requested_changes
from services.registry.prefectures import PrefectureError, validate_prefecture
from services.registry.queries import conflicts_as, hospitals_stmt, load_hospital
from services.registry.schemas import HospitalCreate, HospitalUpdate

WRITE = "registry.hospital.write"
CONFLICTS = {
    "uq_hospitals_credit_code": "该统一社会信用代码已登记 / a hospital with this credit code is already registered",
}


def _problem(field: str, message: str) -> dict[str, str]:
    return {"field": field, "problem": message}


def _target_province(session: Session, actor: Actor, requested: str | None) -> str:
    if actor.is_national:
        if requested is None:
            raise ValidationFailed(
                "国家级账号登记医院时必须指定省份 / province_code is required for national callers",
                problems=[_problem("province_code", "required")],
            )
    elif requested not in (None, actor.province):
        raise ValidationFailed(
            f"只能在本省（{actor.province}）登记医院 / you can register hospitals only in your own province",
            problems=[_problem("province_code", f"must be {actor.province}")],
        )
    code = requested or actor.province
    province = session.get(Province, code) if code else None
    if (
        code is None
        or province is None
        or province.onboarded_at is None
        or province.offboarded_at is not None
    ):
        raise ValidationFailed(
            f"省份 {code} 未接入平台 / province {code} is not onboarded (qcp tenants onboard --province {code})",
            problems=[_problem("province_code", "not onboarded")],
        )
    return code


def _check_fields(province_code: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate credit code and prefecture; report every problem at once."""
    problems, clean = [], dict(values)
    if values.get("credit_code") is not None:
        try:
            clean["credit_code"] = cc.validate(values["credit_code"])
        except cc.CreditCodeError as exc:
            problems.append(_problem("credit_code", exc.message))
    if values.get("prefecture_code") is not None:
        try:
            validate_prefecture(province_code, values["prefecture_code"])
        except PrefectureError as exc:
            problems.append(_problem("prefecture_code", exc.message))
    if problems:
        summary = "；".join(p["problem"].split(" / ")[0] for p in problems)
        raise ValidationFailed(
            f"医院信息有误：{summary} / the hospital has invalid fields", problems=problems
        )
    return clean


def create_hospital(session: Session, actor: Actor, *, data: HospitalCreate) -> Hospital:
    require(actor, WRITE)
    province_code = _target_province(session, actor, data.province_code)
    values = _check_fields(province_code, data.model_dump(exclude={"province_code"}, exclude_none=True))
    hospital = Hospital(province_code=province_code, **values)
    with conflicts_as(session, CONFLICTS):
        session.add(hospital)
    session.refresh(hospital)
    audit.record(
        session,
        actor,
        action="hospital.create",
        entity="hospital",
        entity_id=hospital.id,
        before=None,
        after=audit.snapshot(hospital),
        province_code=province_code,
    )
    return hospital


def update_hospital(session: Session, actor: Actor, *, hospital_id: int, data: HospitalUpdate) -> Hospital:
    require(actor, WRITE)
    hospital = load_hospital(session, actor, hospital_id, for_update=True)
    changes = requested_changes(data, hospital)
    if not changes:
        return hospital
    if "reports_from" in changes and not data.reason.strip():
        # moving 起报季度 changes which past quarters count as missing: say why, for the audit log
        raise ValidationFailed(
            "修改起报季度须说明原因 / changing reports_from needs a reason",
            problems=[_problem("reason", "required when reports_from changes")],
        )
    changes = _check_fields(hospital.province_code, changes)
    return apply_audited(
        session,
        actor,
        hospital,
        changes,
        entity="hospital",
        action="update",
        reason=data.reason,
        conflicts=CONFLICTS,
    )


def deactivate_hospital(session: Session, actor: Actor, *, hospital_id: int, reason: str) -> Hospital:
    """Deactivate (idempotent: an inactive hospital is returned unchanged, with no new audit row)."""
    require(actor, WRITE)
    hospital = load_hospital(session, actor, hospital_id, for_update=True)
    if not hospital.active:
        return hospital
    return apply_audited(
        session,
        actor,
        hospital,
        {"active": False, "deactivated_at": func.now()},
        entity="hospital",
        action="deactivate",
        reason=reason,
    )


def get_hospital(session: Session, actor: Actor, *, hospital_id: int) -> Hospital:
    return load_hospital(session, actor, hospital_id)


def list_hospitals(
    session: Session,
    actor: Actor,
    *,
    active: bool | None = None,
    prefecture_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Hospital]:
    stmt = hospitals_stmt(actor)
    if active is not None:
        stmt = stmt.where(Hospital.active.is_(active))
    if prefecture_code is not None:
        stmt = stmt.where(Hospital.prefecture_code == prefecture_code)
    stmt = (
        stmt.order_by(Hospital.province_code, Hospital.id)
        .limit(max(1, min(limit, 1000)))
        .offset(max(0, offset))
    )
    return list(session.execute(stmt).scalars())


def find_by_credit_code(session: Session, actor: Actor, *, credit_code: str) -> Hospital | None:
    """The hospital with this credit code in the caller's scope (None if absent or invisible)."""
    code = cc.normalize(credit_code)
    return session.execute(hospitals_stmt(actor).where(Hospital.credit_code == code)).scalar_one_or_none()
