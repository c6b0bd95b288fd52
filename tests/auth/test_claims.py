"""actor_from_claims: roles, scope attributes and the consistency rules."""

from __future__ import annotations

import pytest

from platform_api.auth.claims import actor_from_claims
from platform_api.auth.verify import InvalidToken
from services.core.actor import Role


def claims(*roles: str, **extra) -> dict:
    return {
        "sub": "u-1",
        "azp": "qcp-dashboard",
        "realm_access": {"roles": [*roles, "default-roles-qcp"]},
        **extra,
    }


def bad(c: dict) -> str:
    with pytest.raises(InvalidToken) as caught:
        actor_from_claims(c)
    assert caught.value.code == "bad_claims"
    return caught.value.detail


def test_national_admin_has_national_scope():
    actor = actor_from_claims(claims("national_admin", preferred_username="nat", name="国家"))
    assert actor.roles == {Role.NATIONAL_ADMIN} and actor.is_national
    assert (actor.subject, actor.name, actor.client_id) == ("u-1", "国家", "qcp-dashboard")


def test_unknown_roles_are_ignored():
    actor = actor_from_claims(
        claims("provincial_analyst", "offline_access", "uma_authorization", province="440000")
    )
    assert actor.roles == {Role.PROVINCIAL_ANALYST}


def test_hospital_submitter_with_string_numbers_from_keycloak_attributes():
    actor = actor_from_claims(
        claims("hospital_submitter", province="330000", hospital_id="17", qc_center_id="3")
    )
    assert (actor.province, actor.hospital_id, actor.qc_center_id) == ("330000", 17, 3)


def test_hospital_system_service_account():
    c = claims("hospital_system", province="510000", hospital_id=201, preferred_username="service-account-h")
    c.pop("azp")
    c["client_id"] = "hosp-510000-201"
    actor = actor_from_claims(c)
    assert actor.client_id == "hosp-510000-201" and actor.name == "service-account-h"


def test_specialty_qc_provincial_and_national():
    assert actor_from_claims(claims("specialty_qc", province="330000", specialty="icu")).province == "330000"
    assert actor_from_claims(claims("specialty_qc", specialty="icu")).is_national


def test_name_falls_back_to_username_then_subject():
    assert actor_from_claims(claims("national_analyst", preferred_username="a")).name == "a"
    assert actor_from_claims(claims("national_analyst")).name == "u-1"


@pytest.mark.parametrize(
    "c",
    [
        claims("hospital_submitter", province="330000"),  # no hospital
        claims("hospital_viewer", hospital_id=1),  # no province
        claims("provincial_admin"),  # no province
        claims("provincial_admin", province="330000", hospital_id=1),  # provincial with a hospital
        claims("national_admin", province="330000"),  # national with a province
        claims("national_analyst", hospital_id=5),
        claims("specialty_qc", province="330000"),  # no specialty
        claims("national_admin", "hospital_submitter", province="330000", hospital_id=1),  # mixed tiers
        claims("provincial_admin", "hospital_viewer", province="330000", hospital_id=1),
        claims("hospital_system", "hospital_submitter", province="330000", hospital_id=1),
        {**claims("hospital_system", province="330000", hospital_id=1), "azp": None},  # not a client
        claims(),  # no QCP role
        {"realm_access": {"roles": ["national_admin"]}},  # no subject
        claims("national_admin", realm_access="x"),
        {**claims(), "realm_access": {"roles": "national_admin"}},
    ],
)
def test_inconsistent_claims_are_rejected(c):
    assert " / " in bad(c)


@pytest.mark.parametrize("province", ["33000", "3300001", "330100", "990000", "abcdef", ["330000"], True])
def test_invalid_province_is_rejected(province):
    bad(claims("provincial_admin", province=province))


@pytest.mark.parametrize("hospital_id", [0, -1, "01", "1.5", 1.5, True, [1], "x"])
def test_invalid_hospital_id_is_rejected(hospital_id):
    bad(claims("hospital_viewer", province="330000", hospital_id=hospital_id))


@pytest.mark.parametrize("specialty", ["ICU", "icu care", "", 3, "x" * 70])
def test_invalid_specialty_is_rejected(specialty):
    bad(claims("specialty_qc", province="330000", specialty=specialty))  # "" counts as missing


def test_province_as_integer_is_normalised():
    assert actor_from_claims(claims("provincial_admin", province=440000)).province == "440000"


def test_every_tenant_province_signs_in_including_the_corps(owner_session):
    from sqlalchemy import text

    codes = owner_session.execute(text("SELECT code FROM provinces ORDER BY code")).scalars().all()
    assert len(codes) == 32 and "660000" in codes  # 新疆生产建设兵团
    for code in codes:
        actor = actor_from_claims(
            {"sub": "u", "realm_access": {"roles": ["provincial_analyst"]}, "province": code}
        )
        assert actor.province == code
