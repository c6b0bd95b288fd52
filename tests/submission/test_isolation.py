"""Tenant isolation of submissions, as the restricted app role (RLS) and through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from services.core.errors import NotFound
from services.core.quarter import Quarter
from services.submission.reads import get_submission, value_history
from services.submission.schemas import ValueIn
from services.submission.service import submit
from tests.submission.conftest import QUARTER
from tests.submission.support import GD, NATIONAL_ANALYST, ZJ, as_app, provincial_admin, submitter

Q = Quarter.parse(QUARTER)
TABLES = ("submissions", "submission_values", "submission_value_versions", "submission_events")


def _fill(session, world):
    for hospital_id, province in ((world.zj, ZJ), (world.zj_other, ZJ), (world.gd, GD)):
        actor = submitter(hospital_id, province, subject=f"s{hospital_id}")
        as_app(session, actor)
        submit(
            session,
            actor,
            hospital_id=hospital_id,
            quarter=Q,
            source="api",
            values=[ValueIn(indicator="NIT-2023-I.1", numerator=1, denominator=2)],
            idempotency_key="k",
        )


def _hospitals_seen(session, table, world=None):
    seen = set(session.execute(text(f"SELECT DISTINCT hospital_id FROM {table}")).scalars())
    return seen if world is None else seen & {world.zj, world.zj_other, world.gd}  # other tests commit rows


def _provinces_seen(session, table):
    return set(session.execute(text(f"SELECT DISTINCT province_code FROM {table}")).scalars())


def test_another_provinces_submissions_are_invisible(owner_session, world):
    _fill(owner_session, world)
    as_app(owner_session, provincial_admin(ZJ))
    for table in (*TABLES, "idempotency_keys"):
        assert _hospitals_seen(owner_session, table, world) == {world.zj, world.zj_other}, table
        assert _provinces_seen(owner_session, table) == {ZJ}, table


def test_another_hospitals_submissions_are_invisible_to_a_hospital(owner_session, world):
    _fill(owner_session, world)
    as_app(owner_session, submitter(world.zj))
    for table in (*TABLES, "idempotency_keys"):
        assert _hospitals_seen(owner_session, table) == {world.zj}, table
    with pytest.raises(NotFound):
        get_submission(owner_session, submitter(world.zj), hospital_id=world.zj_other, quarter=Q)
    with pytest.raises(NotFound):
        value_history(owner_session, submitter(world.zj), hospital_id=world.gd, quarter=Q)


def test_national_staff_see_every_province(owner_session, world):
    _fill(owner_session, world)
    as_app(owner_session, NATIONAL_ANALYST)
    assert _hospitals_seen(owner_session, "submissions") >= {world.zj, world.zj_other, world.gd}


def test_unbound_session_sees_no_submissions(owner_session, world):
    _fill(owner_session, world)
    as_app(owner_session, None)
    for table in TABLES:
        assert _hospitals_seen(owner_session, table) == set()


def test_cannot_write_into_another_provinces_hospital(owner_session, world):
    as_app(owner_session, provincial_admin(ZJ))
    with pytest.raises(ProgrammingError, match="row-level security"):
        owner_session.execute(
            text(
                "INSERT INTO submissions (province_code, hospital_id, quarter, catalog_year)"
                " VALUES ('440000', :h, '2023Q2', 2023)"
            ),
            {"h": world.gd},
        )


def test_a_row_cannot_claim_another_provinces_hospital(owner_session, world):
    with pytest.raises(IntegrityError, match="fk_submissions_hospital"):
        owner_session.execute(
            text(
                "INSERT INTO submissions (province_code, hospital_id, quarter, catalog_year)"
                " VALUES ('330000', :h, '2023Q2', 2023)"
            ),
            {"h": world.gd},
        )


def test_app_role_cannot_delete_submissions(owner_session, world):
    _fill(owner_session, world)
    as_app(owner_session, provincial_admin(ZJ))
    with pytest.raises(ProgrammingError, match="permission denied"):
        owner_session.execute(text("DELETE FROM submission_values"))


def test_history_tables_are_append_only_even_for_the_owner(owner_session, world):
    _fill(owner_session, world)
    owner_session.execute(text("RESET ROLE"))
    with pytest.raises(Exception, match="append-only"):
        owner_session.execute(text("DELETE FROM submission_events"))
