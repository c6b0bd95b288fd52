from __future__ import annotations

import pytest
from sqlalchemy import select

from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.models import AuditEntry
from services.registry import qc_centers
from services.registry.schemas import QcCenterCreate, QcCenterUpdate
from tests.db import act_as_owner
from tests.registry.conftest import GD_ADMIN, NAT_ADMIN, ZJ_ADMIN, use


def _create(session, **fields):
    use(session, NAT_ADMIN)
    return qc_centers.create_qc_center(session, NAT_ADMIN, data=QcCenterCreate(**fields))


def test_national_admin_creates_provincial_and_national_centers_audited(registry):
    zj = _create(registry, level="provincial", province_code="330000", name="浙江省医疗质量控制中心")
    icu = _create(registry, level="national", specialty_code="icu", name="国家重症医学质控中心")
    act_as_owner(registry)
    rows = (
        registry.execute(
            select(AuditEntry).where(
                AuditEntry.action == "qc_center.create", AuditEntry.actor_subject == "nat-admin"
            )
        )
        .scalars()
        .all()
    )
    tenants = {r.entity_id: r.province_code for r in rows}
    assert tenants == {str(zj.id): "330000", str(icu.id): None}


def test_duplicate_national_general_center_is_a_conflict(registry):
    # NULL province and NULL specialty are distinct to the unique constraint: the service must catch it.
    _create(registry, level="national", name="国家医疗质量管理与控制中心")
    with pytest.raises(Conflict, match="already exists"):
        _create(registry, level="national", name="另一个")


def test_rejects_unknown_specialty_listing_known_ones(registry):
    with pytest.raises(ValidationFailed, match=r"unknown specialty 'dentistry'; known: .*\bicu\b"):
        _create(
            registry, level="provincial", province_code="330000", specialty_code="dentistry", name="口腔质控"
        )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"level": "national", "province_code": "330000"}, "has no province_code"),
        ({"level": "provincial"}, "needs province_code"),
    ],
)
def test_level_and_province_must_agree(registry, fields, message):
    with pytest.raises(ValidationFailed, match=message):
        _create(registry, name="质控中心", **fields)


def test_provincial_admin_cannot_create_or_change_centers(registry):
    center = _create(registry, level="provincial", province_code="330000", name="浙江省质控中心")
    use(registry, ZJ_ADMIN)
    with pytest.raises(PermissionDenied):
        qc_centers.create_qc_center(
            registry,
            ZJ_ADMIN,
            data=QcCenterCreate(level="provincial", province_code="330000", name="自建中心"),
        )
    with pytest.raises(PermissionDenied):
        qc_centers.update_qc_center(
            registry, ZJ_ADMIN, qc_center_id=center.id, data=QcCenterUpdate(name="改名")
        )


def test_provincial_callers_see_national_and_own_centers_only(registry):
    national = _create(registry, level="national", name="国家质控中心")
    zj = _create(registry, level="provincial", province_code="330000", name="浙江省质控中心")
    gd = _create(registry, level="provincial", province_code="440000", name="广东省质控中心")
    use(registry, ZJ_ADMIN)
    assert {c.id for c in qc_centers.list_qc_centers(registry, ZJ_ADMIN)} == {national.id, zj.id}
    with pytest.raises(NotFound):
        qc_centers.get_qc_center(registry, ZJ_ADMIN, qc_center_id=gd.id)
    use(registry, GD_ADMIN)
    assert {c.id for c in qc_centers.list_qc_centers(registry, GD_ADMIN)} == {national.id, gd.id}


def test_update_is_audited(registry):
    center = _create(registry, level="provincial", province_code="440000", name="广东省质控中心")
    qc_centers.update_qc_center(
        registry, NAT_ADMIN, qc_center_id=center.id, data=QcCenterUpdate(active=False)
    )
    act_as_owner(registry)
    entry = registry.execute(
        select(AuditEntry).where(
            AuditEntry.action == "qc_center.update", AuditEntry.entity_id == str(center.id)
        )
    ).scalar_one()
    assert (entry.before["active"], entry.after["active"], entry.province_code) == (True, False, "440000")
