"""Applicability (who must report what) and completeness (expected / received / approved)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from services.core.errors import PermissionDenied
from services.core.quarter import Quarter
from services.submission import review
from services.submission.applicability import ApplicabilityIn, list_applicability, set_applicability
from services.submission.completeness import completeness
from services.submission.schemas import ValueIn
from services.submission.service import submit
from tests.submission.conftest import QUARTER
from tests.submission.support import (
    GD,
    NATIONAL_ANALYST,
    ZJ,
    add_hospital,
    as_app,
    provincial_admin,
    set_window,
    submitter,
)

Q = Quarter.parse(QUARTER)
NATIONAL_2023 = [
    "NIT-2023-I.1",
    "NIT-2023-IV.1",
    "NIT-2023-IV.2",
    "NIT-2023-IV.3",
    "NIT-2023-VIII.1",
    "NIT-2023-VIII.2",
]


def _submit(session, hospital_id, values, province=ZJ):
    actor = submitter(hospital_id, province)
    as_app(session, actor)
    return submit(session, actor, hospital_id=hospital_id, quarter=Q, values=values, source="api")


def _mine(report, *ids):
    return {h.hospital_id: h for h in report.hospitals if h.hospital_id in ids}


def test_applicability_requires_a_reason_and_one_target():
    with pytest.raises(ValidationError):
        ApplicabilityIn(goal="NIT-2023-IV", status="not_applicable")
    with pytest.raises(ValidationError):
        ApplicabilityIn(goal="NIT-2023-IV", indicator="NIT-2023-IV.1", status="required")


def test_specialty_goal_is_expected_only_where_assigned_and_national_goal_can_be_exempted(
    owner_session, world
):
    admin = provincial_admin()
    as_app(owner_session, admin)
    set_applicability(
        owner_session,
        admin,
        hospital_id=world.zj,
        item=ApplicabilityIn(goal="PIT-2023-90", status="required"),
    )
    set_applicability(
        owner_session,
        admin,
        hospital_id=world.zj,
        item=ApplicabilityIn(
            goal="NIT-2023-IV", status="not_applicable", reason="本院无手术科室 / no surgery"
        ),
    )
    listed = list_applicability(owner_session, admin, hospital_id=world.zj)
    assert [(r.goal, r.status) for r in listed] == [
        ("NIT-2023-IV", "not_applicable"),
        ("PIT-2023-90", "required"),
    ]
    report = completeness(owner_session, admin, quarter=Q)
    mine = _mine(report, world.zj, world.zj_other)
    # the shared test database may hold the full published 2023 catalog: compare the two hospitals
    default = set(mine[world.zj_other].missing_indicators)
    assert set(NATIONAL_2023) <= default and "PIT-2023-90.1" not in default
    surgery = {"NIT-2023-IV.1", "NIT-2023-IV.2", "NIT-2023-IV.3"}
    assert set(mine[world.zj].missing_indicators) == (default - surgery) | {"PIT-2023-90.1"}


def test_hospital_cannot_set_applicability(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    with pytest.raises(PermissionDenied):
        set_applicability(
            owner_session,
            submitter(world.zj),
            hospital_id=world.zj,
            item=ApplicabilityIn(goal="PIT-2023-90", status="required"),
        )


def test_completeness_counts_on_time_late_missing_and_approved(owner_session, world):
    _submit(owner_session, world.zj, [ValueIn(indicator="NIT-2023-I.1", numerator=1, denominator=2)])
    as_app(owner_session, provincial_admin())
    review.approve(owner_session, provincial_admin(), hospital_id=world.zj, quarter=Q)
    set_window(owner_session, ZJ, QUARTER, opened=timedelta(days=40), due=timedelta(days=-1))
    _submit(owner_session, world.zj_other, [ValueIn(indicator="NIT-2023-VIII.1", numerator=1, denominator=2)])
    as_app(owner_session, provincial_admin())
    report = completeness(owner_session, provincial_admin(), quarter=Q)
    mine = _mine(report, world.zj, world.zj_other, world.gd)
    assert set(mine) == {world.zj, world.zj_other}  # Guangdong is not visible to Zhejiang
    assert (mine[world.zj].status, mine[world.zj].timeliness, mine[world.zj].received) == (
        "approved",
        "on_time",
        1,
    )
    assert (mine[world.zj_other].status, mine[world.zj_other].timeliness) == ("submitted", "late")
    indicator = {i.indicator: i for i in report.indicators}["NIT-2023-I.1"]
    assert indicator.received >= 1 and indicator.approved >= 1


def test_national_staff_see_every_province(owner_session, world):
    _submit(
        owner_session, world.gd, [ValueIn(indicator="NIT-2023-I.1", numerator=1, denominator=2)], province=GD
    )
    as_app(owner_session, NATIONAL_ANALYST)
    report = completeness(owner_session, NATIONAL_ANALYST, quarter=Q)
    mine = _mine(report, world.zj, world.gd)
    assert set(mine) == {world.zj, world.gd}
    assert mine[world.gd].timeliness == "on_time" and mine[world.zj].timeliness == "missing"


def _deactivate(session, hospital_id, at):
    session.execute(
        text("UPDATE hospitals SET active = false, deactivated_at = :at WHERE id = :h"),
        {"at": at, "h": hospital_id},
    )


def test_a_hospital_owes_quarters_from_reports_from_until_it_is_deactivated(owner_session, world):
    """Registering a hospital today does not make it missing in past quarters; deactivating it does
    not erase the quarters it owed. Completeness, 'missing' flags, expected counts and rollups agree."""
    from services.benchmark.queries import expected_hospitals, hospitals_missing
    from services.benchmark.rollups import rollup
    from services.benchmark.scope import resolve_scope

    later = add_hospital(owner_session, ZJ, "浙江新登记医院", reports_from=str(Q.next()))
    gone_after = add_hospital(owner_session, ZJ, "浙江季后停用医院")
    gone_during = add_hospital(owner_session, ZJ, "浙江季中停用医院")
    _deactivate(owner_session, gone_after, Q.closes_at + timedelta(days=3))  # owed Q, left later
    _deactivate(owner_session, gone_during, Q.closes_at - timedelta(minutes=1))  # gone before Q was over
    admin = provincial_admin()
    as_app(owner_session, admin)

    def owed(quarter):
        report = completeness(owner_session, admin, quarter=quarter)
        scope = resolve_scope(owner_session, admin, f"province:{ZJ}", quarter=quarter)
        missing = {r["id"] for r in hospitals_missing(owner_session, admin, scope, quarter=quarter)}
        expected, _ = expected_hospitals(owner_session, admin, scope, quarter=quarter, indicator_ids=[])
        (province,) = rollup(owner_session, admin, quarter=quarter)["indicators"][0]["provinces"]
        assert expected == report.hospitals_expected == province["hospitals"]
        return {h.hospital_id: h.status for h in report.hospitals}, missing

    statuses, missing = owed(Q)
    assert later not in statuses and gone_during not in statuses
    assert statuses[gone_after] == "missing" and gone_after in missing
    assert later not in missing and gone_during not in missing
    statuses, missing = owed(Q.next())  # from its first quarter on it owes, like the others
    assert statuses[later] == "missing" and later in missing
    assert gone_after not in statuses and gone_during not in statuses

    # a quarter it does not owe still counts once it reports it
    _submit(owner_session, later, [ValueIn(indicator="NIT-2023-I.1", numerator=1, denominator=2)])
    as_app(owner_session, admin)
    statuses, missing = owed(Q)
    assert statuses[later] == "submitted" and later not in missing
