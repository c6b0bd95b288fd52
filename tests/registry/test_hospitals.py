from __future__ import annotations

import pytest
from sqlalchemy import select, text

from services.core.actor import Actor, Role
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.models import AuditEntry, Hospital
from services.registry import hospitals
from services.registry.schemas import HospitalCreate, HospitalUpdate
from tests.db import act_as_owner
from tests.registry.conftest import GD_ADMIN, NAT_ADMIN, ZJ_ADMIN, ZJ_ANALYST, credit_code, new_hospital, use


def _audit(session, entity_id, action):
    act_as_owner(session)
    stmt = select(AuditEntry).where(AuditEntry.entity_id == str(entity_id), AuditEntry.action == action)
    return session.execute(stmt).scalars().all()


def _payload(**overrides) -> HospitalCreate:
    values = dict(
        credit_code=credit_code(),
        name="杭州测试医院",
        level="三级",
        grade="甲等",
        type="综合",
        prefecture_code="330100",
        beds=900,
    )
    return HospitalCreate(**{**values, **overrides})


def test_provincial_admin_registers_a_hospital_and_it_is_audited(registry):
    hospital = new_hospital(registry, ZJ_ADMIN, name="浙江大学医学院附属第一医院")
    assert hospital.province_code == "330000" and hospital.active
    [entry] = _audit(registry, hospital.id, "hospital.create")
    assert entry.province_code == "330000"
    assert entry.actor_subject == "zj-admin" and entry.actor_roles == ["provincial_admin"]
    assert entry.client_id == "qcp-dashboard"
    assert entry.before is None and entry.after["name"] == "浙江大学医学院附属第一医院"


def test_reports_bad_credit_code_and_prefecture_together(registry):
    use(registry, ZJ_ADMIN)
    bad = _payload(credit_code="91350100M000100Y44", prefecture_code="440100")
    with pytest.raises(ValidationFailed) as info:
        hospitals.create_hospital(registry, ZJ_ADMIN, data=bad)
    fields = {p["field"]: p["problem"] for p in info.value.problems}
    assert "expected 3, got 4" in fields["credit_code"]
    assert "not inside province 330000" in fields["prefecture_code"]


def test_provincial_admin_cannot_register_in_another_province(registry):
    use(registry, ZJ_ADMIN)
    with pytest.raises(ValidationFailed, match="only in your own province"):
        hospitals.create_hospital(
            registry, ZJ_ADMIN, data=_payload(province_code="440000", prefecture_code="440100")
        )
    act_as_owner(registry)
    assert registry.execute(select(Hospital).where(Hospital.name == "杭州测试医院")).first() is None


def test_national_admin_must_name_the_province(registry):
    use(registry, NAT_ADMIN)
    with pytest.raises(ValidationFailed, match="province_code is required"):
        hospitals.create_hospital(registry, NAT_ADMIN, data=_payload())
    made = hospitals.create_hospital(registry, NAT_ADMIN, data=_payload(province_code="330000"))
    assert made.province_code == "330000"
    [entry] = _audit(registry, made.id, "hospital.create")
    assert entry.province_code == "330000"  # the tenant of the row, not the national actor's NULL


def test_refuses_provinces_that_are_not_onboarded(registry):
    use(registry, NAT_ADMIN)
    with pytest.raises(ValidationFailed, match="not onboarded"):
        hospitals.create_hospital(
            registry, NAT_ADMIN, data=_payload(province_code="320000", prefecture_code="320100")
        )


def test_analyst_cannot_register(registry):
    use(registry, ZJ_ANALYST)
    with pytest.raises(PermissionDenied):
        hospitals.create_hospital(registry, ZJ_ANALYST, data=_payload())


def test_duplicate_credit_code_is_a_conflict_even_across_provinces(registry):
    first = new_hospital(registry, ZJ_ADMIN)
    use(registry, GD_ADMIN)
    with pytest.raises(Conflict, match="already registered"):
        hospitals.create_hospital(
            registry, GD_ADMIN, data=_payload(credit_code=first.credit_code, prefecture_code="440100")
        )
    # the transaction is still usable after the conflict
    assert new_hospital(registry, GD_ADMIN).province_code == "440000"


def test_update_records_before_and_after(registry):
    hospital = new_hospital(registry, ZJ_ADMIN, beds=500)
    use(registry, ZJ_ADMIN)
    updated = hospitals.update_hospital(
        registry, ZJ_ADMIN, hospital_id=hospital.id, data=HospitalUpdate(beds=650, reason="扩建 / expansion")
    )
    assert updated.beds == 650
    [entry] = _audit(registry, hospital.id, "hospital.update")
    assert (entry.before["beds"], entry.after["beds"], entry.reason) == (500, 650, "扩建 / expansion")


def test_update_validates_prefecture_against_the_hospitals_province(registry):
    hospital = new_hospital(registry, ZJ_ADMIN)
    use(registry, ZJ_ADMIN)
    with pytest.raises(ValidationFailed, match="prefecture"):
        hospitals.update_hospital(
            registry, ZJ_ADMIN, hospital_id=hospital.id, data=HospitalUpdate(prefecture_code="331200")
        )


def test_unchanged_update_writes_no_audit_row(registry):
    hospital = new_hospital(registry, ZJ_ADMIN, beds=500)
    use(registry, ZJ_ADMIN)
    hospitals.update_hospital(registry, ZJ_ADMIN, hospital_id=hospital.id, data=HospitalUpdate(beds=500))
    assert _audit(registry, hospital.id, "hospital.update") == []


def test_other_province_gets_the_same_answer_as_a_missing_id(registry):
    hospital = new_hospital(registry, ZJ_ADMIN, name="原名")
    use(registry, GD_ADMIN)
    with pytest.raises(NotFound) as foreign:
        hospitals.update_hospital(
            registry, GD_ADMIN, hospital_id=hospital.id, data=HospitalUpdate(name="被改名")
        )
    with pytest.raises(NotFound) as missing:
        hospitals.update_hospital(registry, GD_ADMIN, hospital_id=987654, data=HospitalUpdate(name="被改名"))
    assert foreign.value.detail == missing.value.detail.replace("987654", str(hospital.id))
    with pytest.raises(NotFound):
        hospitals.deactivate_hospital(registry, GD_ADMIN, hospital_id=hospital.id, reason="恶意停用")
    with pytest.raises(NotFound):
        hospitals.get_hospital(registry, GD_ADMIN, hospital_id=hospital.id)
    act_as_owner(registry)
    row = registry.execute(
        text("SELECT name, active FROM hospitals WHERE id = :id"), {"id": hospital.id}
    ).one()
    assert tuple(row) == ("原名", True)
    assert _audit(registry, hospital.id, "hospital.update") == []


def test_deactivation_keeps_the_row_and_is_idempotent(registry):
    hospital = new_hospital(registry, ZJ_ADMIN)
    use(registry, ZJ_ADMIN)
    done = hospitals.deactivate_hospital(registry, ZJ_ADMIN, hospital_id=hospital.id, reason="合并 / merged")
    assert done.active is False and done.deactivated_at is not None
    hospitals.deactivate_hospital(registry, ZJ_ADMIN, hospital_id=hospital.id, reason="again")
    [entry] = _audit(registry, hospital.id, "hospital.deactivate")
    assert entry.before["active"] is True and entry.after["active"] is False
    use(registry, ZJ_ADMIN)
    assert [h.id for h in hospitals.list_hospitals(registry, ZJ_ADMIN, active=False)] == [hospital.id]


def test_listing_is_scoped(registry):
    zj = new_hospital(registry, ZJ_ADMIN)
    gd = new_hospital(registry, GD_ADMIN)
    # Other suites may have committed hospitals to the shared database: assert scope, not exact sets.
    use(registry, ZJ_ADMIN)
    listed = hospitals.list_hospitals(registry, ZJ_ADMIN)
    assert zj.id in {h.id for h in listed} and gd.id not in {h.id for h in listed}
    assert {h.province_code for h in listed} == {"330000"}
    use(registry, NAT_ADMIN)
    assert {zj.id, gd.id} <= {h.id for h in hospitals.list_hospitals(registry, NAT_ADMIN)}
    viewer = Actor("v", frozenset({Role.HOSPITAL_VIEWER}), province="330000", hospital_id=zj.id)
    other = new_hospital(registry, ZJ_ADMIN)
    use(registry, viewer)
    assert [h.id for h in hospitals.list_hospitals(registry, viewer)] == [zj.id]
    with pytest.raises(NotFound):
        hospitals.get_hospital(registry, viewer, hospital_id=other.id)


def test_scope_filter_holds_even_when_rls_is_bypassed(registry):
    # The owner here is a superuser (RLS bypassed): the statement helper alone must still scope.
    new_hospital(registry, ZJ_ADMIN)
    gd = new_hospital(registry, GD_ADMIN)
    act_as_owner(registry)
    assert all(h.province_code == "330000" for h in hospitals.list_hospitals(registry, ZJ_ADMIN))
    with pytest.raises(NotFound):
        hospitals.get_hospital(registry, ZJ_ADMIN, hospital_id=gd.id)
