from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from services.core.actor import Actor, Role
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.models import AuditEntry
from services.registry import networks, qc_centers
from services.registry.schemas import MembershipCreate, MembershipEnd, NetworkCreate, QcCenterCreate
from tests.db import act_as_owner
from tests.registry.conftest import GD_ADMIN, NAT_ADMIN, ZJ_ADMIN, new_hospital, use


@pytest.fixture
def centers(registry):
    use(registry, NAT_ADMIN)
    make = lambda **f: qc_centers.create_qc_center(registry, NAT_ADMIN, data=QcCenterCreate(**f))  # noqa: E731
    return {
        "national": make(level="national", name="国家医疗质量管理与控制中心"),
        "zj": make(level="provincial", province_code="330000", name="浙江省医疗质量控制中心"),
        "zj_icu": make(
            level="provincial", province_code="330000", specialty_code="icu", name="浙江省重症质控中心"
        ),
        "gd": make(level="provincial", province_code="440000", name="广东省医疗质量控制中心"),
    }


def _network(session, actor, center, name="杭州医联体"):
    use(session, actor)
    return networks.create_network(
        session, actor, data=NetworkCreate(qc_center_id=center.id, kind="medical_alliance", name=name)
    )


def _join(session, actor, network, hospital, start, end=None):
    use(session, actor)
    data = MembershipCreate(hospital_id=hospital.id, valid_from=start, valid_to=end)
    return networks.add_member(session, actor, network_id=network.id, data=data)


def test_provincial_network_takes_its_centers_province(registry, centers):
    network = _network(registry, ZJ_ADMIN, centers["zj"])
    assert network.province_code == "330000"


def test_cannot_use_another_provinces_center(registry, centers):
    with pytest.raises(NotFound):
        _network(registry, ZJ_ADMIN, centers["gd"])


def test_only_national_callers_define_national_networks(registry, centers):
    with pytest.raises(PermissionDenied, match="national networks"):
        _network(registry, ZJ_ADMIN, centers["national"])
    network = _network(registry, NAT_ADMIN, centers["national"], name="全国哨点医院网络")
    assert network.province_code is None


def test_analysts_cannot_define_networks(registry, centers):
    analyst = Actor("a", frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
    with pytest.raises(PermissionDenied, match="registry.network.write"):
        _network(registry, analyst, centers["zj_icu"])


def test_specialty_qc_staff_define_networks_only_for_their_own_center(registry, centers):
    icu_staff = Actor(
        "icu",
        frozenset({Role.SPECIALTY_QC}),
        province="330000",
        specialty="icu",
        qc_center_id=centers["zj_icu"].id,
    )
    assert (
        _network(registry, icu_staff, centers["zj_icu"], name="浙江重症专科联盟").qc_center_id
        == centers["zj_icu"].id
    )
    with pytest.raises((PermissionDenied, NotFound)):
        _network(registry, icu_staff, centers["zj"], name="越权网络")


def test_national_network_spans_provinces_but_each_province_sees_its_own_members(registry, centers):
    zj, gd = new_hospital(registry, ZJ_ADMIN), new_hospital(registry, GD_ADMIN)
    network = _network(registry, NAT_ADMIN, centers["national"], name="全国哨点")
    _join(registry, NAT_ADMIN, network, zj, date(2023, 1, 1))
    _join(registry, NAT_ADMIN, network, gd, date(2023, 1, 1))
    q = Quarter(2023, 2)
    assert {
        m.hospital_id for m in networks.network_members(registry, NAT_ADMIN, network_id=network.id, quarter=q)
    } == {zj.id, gd.id}
    use(registry, ZJ_ADMIN)
    members = networks.network_members(registry, ZJ_ADMIN, network_id=network.id, quarter=q)
    assert [(m.hospital_id, m.hospital_name) for m in members] == [(zj.id, zj.name)]


def test_provincial_network_refuses_other_provinces_hospitals(registry, centers):
    gd = new_hospital(registry, GD_ADMIN)
    network = _network(registry, ZJ_ADMIN, centers["zj"])
    with pytest.raises(ValidationFailed, match="only includes its province"):
        _join(registry, NAT_ADMIN, network, gd, date(2023, 1, 1))
    with pytest.raises(NotFound):  # the provincial admin cannot even see the hospital
        _join(registry, ZJ_ADMIN, network, gd, date(2023, 1, 1))
    act_as_owner(registry)
    count = "SELECT count(*) FROM network_memberships WHERE network_id = :n"
    assert registry.execute(text(count), {"n": network.id}).scalar() == 0


def test_other_province_cannot_touch_the_network(registry, centers):
    zj = new_hospital(registry, ZJ_ADMIN)
    network = _network(registry, ZJ_ADMIN, centers["zj"])
    member = _join(registry, ZJ_ADMIN, network, zj, date(2023, 1, 1))
    use(registry, GD_ADMIN)
    with pytest.raises(NotFound):
        networks.end_membership(
            registry,
            GD_ADMIN,
            network_id=network.id,
            membership_id=member.id,
            data=MembershipEnd(valid_to=date(2023, 6, 1)),
        )
    with pytest.raises(NotFound):
        networks.network_members(registry, GD_ADMIN, network_id=network.id, quarter=Quarter(2023, 1))
    act_as_owner(registry)
    valid_to = "SELECT valid_to FROM network_memberships WHERE id = :m"
    assert registry.execute(text(valid_to), {"m": member.id}).scalar() is None


def test_overlapping_membership_is_a_conflict_naming_the_existing_one(registry, centers):
    hospital = new_hospital(registry, ZJ_ADMIN)
    network = _network(registry, ZJ_ADMIN, centers["zj"])
    first = _join(registry, ZJ_ADMIN, network, hospital, date(2023, 1, 1), date(2023, 7, 1))
    with pytest.raises(Conflict, match=rf"\[2023-01-01, 2023-07-01\) \(id {first.id}\)"):
        _join(registry, ZJ_ADMIN, network, hospital, date(2023, 6, 1))
    # adjacent is fine: the end date is exclusive
    assert _join(registry, ZJ_ADMIN, network, hospital, date(2023, 7, 1)).valid_to is None


def test_database_exclusion_constraint_also_becomes_a_conflict(registry, centers, monkeypatch):
    hospital = new_hospital(registry, ZJ_ADMIN)
    network = _network(registry, ZJ_ADMIN, centers["zj"])
    _join(registry, ZJ_ADMIN, network, hospital, date(2023, 1, 1))
    monkeypatch.setattr(networks, "_overlapping", lambda *a: None)  # as if a concurrent request slipped by
    with pytest.raises(Conflict, match="overlaps"):
        _join(registry, ZJ_ADMIN, network, hospital, date(2023, 3, 1))
    assert len(networks.list_memberships(registry, ZJ_ADMIN, network_id=network.id)) == 1


def test_rejects_end_before_start(registry, centers):
    hospital = new_hospital(registry, ZJ_ADMIN)
    network = _network(registry, ZJ_ADMIN, centers["zj"])
    with pytest.raises(ValidationFailed, match="must be after valid_from"):
        _join(registry, ZJ_ADMIN, network, hospital, date(2023, 3, 1), date(2023, 3, 1))


def test_ending_a_membership_is_audited_and_keeps_history(registry, centers):
    hospital = new_hospital(registry, ZJ_ADMIN)
    network = _network(registry, ZJ_ADMIN, centers["zj"])
    member = _join(registry, ZJ_ADMIN, network, hospital, date(2023, 1, 1))
    networks.end_membership(
        registry,
        ZJ_ADMIN,
        network_id=network.id,
        membership_id=member.id,
        data=MembershipEnd(valid_to=date(2023, 10, 1), reason="退出 / left"),
    )
    act_as_owner(registry)
    entry = registry.execute(
        select(AuditEntry).where(
            AuditEntry.action == "network.member.end", AuditEntry.entity_id == str(member.id)
        )
    ).scalar_one()
    assert (entry.before["valid_to"], entry.after["valid_to"]) == (None, "2023-10-01")
    assert entry.province_code == "330000"


def test_members_in_effect_during_a_quarter(registry, centers):
    a, b, c = (new_hospital(registry, ZJ_ADMIN) for _ in range(3))
    network = _network(registry, ZJ_ADMIN, centers["zj"])
    _join(registry, ZJ_ADMIN, network, a, date(2023, 1, 1), date(2023, 4, 1))  # Q1 only (end exclusive)
    _join(registry, ZJ_ADMIN, network, b, date(2023, 3, 31), date(2023, 4, 2))  # last day of Q1, first of Q2
    _join(registry, ZJ_ADMIN, network, c, date(2023, 6, 30))  # from the last day of Q2, open-ended

    def members(q: str) -> set[int]:
        found = networks.network_members(registry, ZJ_ADMIN, network_id=network.id, quarter=Quarter.parse(q))
        return {m.hospital_id for m in found}

    assert members("2022Q4") == set()
    assert members("2023Q1") == {a.id, b.id}
    assert members("2023Q2") == {b.id, c.id}
    assert members("2024Q1") == {c.id}
