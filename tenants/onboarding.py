"""Onboarding and offboarding of provinces and hospitals: the database and Keycloak together.

Run as the owner role from the CLI (``qcp tenants``), acting as the system actor (national scope).
Every step first looks for what it would create, so a second run changes nothing and says
"already" for each step. Offboarding disables access (Keycloak clients, people, groups) and keeps
every row: hospitals are deactivated, provinces marked ``offboarded_at``.

``directory`` may be None (the demo with the development issuer has no Keycloak): the Keycloak
steps are then skipped and reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, text
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor, system_actor
from services.core.db import tenant_settings
from services.core.errors import NotFound, ValidationFailed
from services.models import Hospital, Province
from services.registry import hospitals, qc_centers
from services.registry.schemas import HospitalCreate, QcCenterCreate
from tenants.keycloak_admin import TenantDirectory

_BIND = text(
    "SELECT set_config('app.province', :province, true),"
    " set_config('app.all_provinces', :all_provinces, true),"
    " set_config('app.hospital', :hospital, true)"
)


@dataclass
class Outcome:
    """What a command did, line by line (Chinese first). ``secret`` is shown once and never stored."""

    lines: list[str] = field(default_factory=list)
    changed: bool = False
    secret: str | None = None
    hospital_id: int | None = None

    def did(self, changed: bool, what_zh: str, what_en: str, *, done: str = "已创建 / created") -> None:
        self.changed |= changed
        prefix = done if changed else "已存在，无变更 / already"
        self.lines.append(f"{prefix}: {what_zh} / {what_en}")


DONE = "已完成 / done"
SKIPPED = "跳过 / skipped: 未配置 Keycloak / Keycloak is not configured"


def _bind(session: Session, actor: Actor) -> Actor:
    # The owner may be subject to FORCE ROW LEVEL SECURITY too: bind national scope for this transaction.
    session.execute(_BIND, tenant_settings(actor))
    return actor


def _province(session: Session, code: str) -> Province:
    province = session.get(Province, code)
    if province is None:
        raise NotFound(f"省份 {code} 不存在 / unknown province {code} (GB/T 2260, e.g. 330000)")
    return province


def _mark(session: Session, actor: Actor, province: Province, column: str, action: str) -> bool:
    """Set ``onboarded_at`` / ``offboarded_at`` once (audited); False when it was already set."""
    if getattr(province, column) is not None:
        return False
    before = audit.snapshot(province)
    setattr(province, column, func.now())
    session.flush()
    session.refresh(province)
    audit.record(
        session,
        actor,
        action=action,
        entity="province",
        entity_id=province.code,
        before=before,
        after=audit.snapshot(province),
        province_code=province.code,
    )
    return True


def _general_center(session: Session, actor: Actor, province: Province, out: Outcome) -> None:
    center = qc_centers.find_qc_center(
        session, actor, level="provincial", province_code=province.code, specialty_code=None
    )
    created = center is None
    if center is None:
        data = QcCenterCreate(
            level="provincial", province_code=province.code, name=f"{province.name}医疗质量控制中心"
        )
        center = qc_centers.create_qc_center(session, actor, data=data)
    out.did(created, f"省级综合质控中心 {center.name}", f"provincial general QC center (id {center.id})")


def onboard_province(
    session: Session, directory: TenantDirectory | None, *, province_code: str, actor: Actor | None = None
) -> Outcome:
    """Mark the province onboarded, create its general QC center (医政/综合) and its Keycloak group."""
    actor, out = _bind(session, actor or system_actor("tenants")), Outcome()
    province = _province(session, province_code)
    if province.offboarded_at is not None:
        raise ValidationFailed(
            f"{province.name}已下线，本命令不会重新接入 / province {province_code} was offboarded; this command "
            "does not re-onboard it"
        )
    created = _mark(session, actor, province, "onboarded_at", "tenant.onboard")
    out.did(created, f"省份 {province.name} 接入", f"province {province_code} onboarded")
    _general_center(session, actor, province, out)
    if directory is None:
        out.lines.append(SKIPPED)
    else:
        group = directory.ensure_province_group(province_code)
        out.did(
            group.created,
            f"Keycloak 组 /provinces/{province_code}",
            f"Keycloak group /provinces/{province_code}",
        )
    return out


def _existing_hospital(session: Session, actor: Actor, data: HospitalCreate) -> Hospital | None:
    hospital = hospitals.find_by_credit_code(session, actor, credit_code=data.credit_code)
    if hospital is None:
        return None
    if hospital.province_code != data.province_code:
        raise ValidationFailed(
            f"该信用代码已在 {hospital.province_code} 登记 / this credit code is registered in {hospital.province_code}"
        )
    if not hospital.active:
        raise ValidationFailed(
            f"医院 {hospital.id} 已停用，本命令不会重新启用 / hospital {hospital.id} is deactivated; not re-enabled"
        )
    return hospital


def add_hospital(
    session: Session, directory: TenantDirectory | None, *, data: HospitalCreate, actor: Actor | None = None
) -> Outcome:
    """Register the hospital (validated, audited) and create its group and hospital-system client.

    The client secret is in ``Outcome.secret`` only when the client is created: print it once.
    """
    actor, out = _bind(session, actor or system_actor("tenants")), Outcome()
    if data.province_code is None:
        raise ValidationFailed("必须指定省份 / --province is required")
    hospital = _existing_hospital(session, actor, data)
    created = hospital is None
    if hospital is None:
        hospital = hospitals.create_hospital(session, actor, data=data)
    out.hospital_id = hospital.id
    out.did(created, f"医院 {hospital.name}（id {hospital.id}）", f"hospital {hospital.id} registered")
    if directory is None:
        out.lines.append(SKIPPED)
        return out
    group = directory.ensure_hospital_group(hospital.province_code, hospital.id)
    out.did(group.created, f"Keycloak 组 /provinces/{hospital.province_code}/{hospital.id}", "hospital group")
    client = directory.ensure_hospital_client(hospital.province_code, hospital.id, hospital.name)
    out.did(
        client.created, f"医院系统客户端 {client.client_id}", f"hospital-system client {client.client_id}"
    )
    out.secret = client.secret
    return out


def offboard(
    session: Session,
    directory: TenantDirectory | None,
    *,
    province_code: str | None = None,
    hospital_id: int | None = None,
    reason: str = "offboarded",
    actor: Actor | None = None,
) -> Outcome:
    """Disable access of a province or of one hospital; every row is kept."""
    actor, out = _bind(session, actor or system_actor("tenants")), Outcome()
    if (province_code is None) == (hospital_id is None):
        raise ValidationFailed(
            "请指定 --province 或 --hospital 之一 / give exactly one of --province or --hospital"
        )
    if hospital_id is not None:
        hospital = hospitals.get_hospital(session, actor, hospital_id=hospital_id)
        was_active = hospital.active
        hospitals.deactivate_hospital(session, actor, hospital_id=hospital_id, reason=reason)
        out.did(
            was_active,
            f"医院 {hospital.id} 停用",
            f"hospital {hospital.id} deactivated (data kept)",
            done=DONE,
        )
        changed = directory.disable_hospital(hospital.province_code, hospital.id) if directory else None
    else:
        assert province_code is not None  # exactly one of the two was given (checked above)
        province = _province(session, province_code)
        created = _mark(session, actor, province, "offboarded_at", "tenant.offboard")
        out.did(
            created,
            f"省份 {province.name} 下线",
            f"province {province_code} offboarded (data kept)",
            done=DONE,
        )
        changed = directory.disable_province(province_code) if directory else None
    if changed is None:
        out.lines.append(SKIPPED)
    else:
        out.did(
            changed > 0,
            "Keycloak 访问停用",
            f"Keycloak access disabled ({changed} objects changed)",
            done=DONE,
        )
    return out
