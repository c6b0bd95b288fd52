"""The single submission's lean request path: its reads in one statement, the per-process catalog
cache (a new revision is used at once; public data only), the same refusals as before, and an upper
bound on the SQL statements one submission sends (a regression fails here, not in a benchmark)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from services.core.errors import NotFound, ValidationFailed
from services.core.quarter import Quarter
from services.models import AuditEntry
from services.submission.context import CATALOG
from services.submission.errors import SubmissionLocked, WindowLocked, WindowNotOpen
from services.submission.schemas import ValueIn
from services.submission.service import submit
from services.submission.validation import IndicatorInfo
from tests.db import act_as_owner
from tests.submission.conftest import QUARTER
from tests.submission.support import GD, as_app, indicator_id, set_window, submitter

Q = Quarter.parse(QUARTER)
SURGERY = [
    ValueIn(indicator="NIT-2023-IV.1", numerator=1, denominator=1000),
    ValueIn(indicator="NIT-2023-IV.2", numerator=2, denominator=1000),
    ValueIn(indicator="NIT-2023-IV.3", numerator=3, denominator=1000),
]


def _submit(
    session: Session,
    hospital_id: int,
    values: list[ValueIn],
    province: str = "330000",
    switch: bool = True,
    **kw,
):
    actor = submitter(hospital_id, province=province)
    if switch:  # to the app role bound to the actor (three statements of the test's own)
        as_app(session, actor)
    return submit(session, actor, hospital_id=hospital_id, quarter=Q, values=values, source="api", **kw)


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    sent: list[str] = []
    engine = session.get_bind()

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _not_applicable(session: Session, hospital_id: int, code: str, province: str = "330000") -> None:
    act_as_owner(session)
    session.execute(
        text(
            "INSERT INTO indicator_applicability (province_code, hospital_id, goal_id, indicator_id, status,"
            " reason, set_by) SELECT :p, :h, goal_id, id, 'not_applicable', '本院无该专科', 'tests'"
            " FROM indicators WHERE id = :i"
        ),
        {"p": province, "h": hospital_id, "i": indicator_id(session, code)},
    )


# -- statements per submission ---------------------------------------------------------------------


def test_a_first_submission_sends_at_most_six_statements(owner_session, world):
    # hospital + locks, the one context read, header, values with their history, event, audit (the
    # tenant binding, BEGIN and COMMIT come with the request's transaction). Before this work: 16.
    as_app(owner_session, submitter(world.zj))
    with statements(owner_session) as sent:
        result = _submit(owner_session, world.zj, SURGERY, switch=False)
    assert result.version == 1
    assert len(sent) <= 6, "\n".join(sent)


def test_a_correction_sends_at_most_eight_statements(owner_session, world):
    _submit(owner_session, world.zj, SURGERY)
    fixed = [*SURGERY[:2], ValueIn(indicator="NIT-2023-IV.3", numerator=4, denominator=1000)]
    with statements(owner_session) as sent:
        result = _submit(owner_session, world.zj, fixed, switch=False, reason="漏报", expected_version=1)
    assert (result.version, result.changed) == (2, ["NIT-2023-IV.3"])
    # + the header's UPDATE and the review notification with its delivery job (the hospital's name
    # comes from the session); the value is updated (no INSERT of new values is sent)
    assert len(sent) <= 8, "\n".join(sent)


def test_one_audit_row_per_submission(owner_session, world):
    act_as_owner(owner_session)
    before = owner_session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))
    _submit(owner_session, world.zj, SURGERY)
    act_as_owner(owner_session)
    rows = owner_session.execute(  # this submission's rows only: the shared database keeps other tests'
        select(AuditEntry.action, AuditEntry.before).where(
            AuditEntry.entity == "submission", AuditEntry.id > before
        )
    ).all()
    assert rows == [("submission.submit", {"status": "draft", "version": 0})]


# -- the catalog cache -------------------------------------------------------------------------------


def test_a_newly_published_revision_is_used_by_the_next_submission(owner_session, world):
    _submit(owner_session, world.zj, [ValueIn(indicator="NIT-2023-I.1", numerator=1, denominator=2)])
    token = CATALOG.token(2023)
    assert token is not None and CATALOG.get(2023, token)["NIT-2023-I.1"].withdrawn_revision is None
    # what `qcp catalog publish` of revision r+1 does in place: the year's row takes the new
    # revision, a withdrawn indicator keeps its row and id and is marked withdrawn by that revision
    act_as_owner(owner_session)
    owner_session.execute(text("UPDATE catalog_years SET revision = revision + 1 WHERE year = 2023"))
    owner_session.execute(
        text(
            "UPDATE indicators SET withdrawn_revision = (SELECT revision FROM catalog_years WHERE year = 2023)"
            " WHERE code = 'NIT-2023-I.1'"
        )
    )
    with pytest.raises(ValidationFailed) as refused:
        _submit(
            owner_session, world.zj_other, [ValueIn(indicator="NIT-2023-I.1", numerator=1, denominator=2)]
        )
    assert [p["code"] for p in refused.value.problems] == ["withdrawn_indicator"]
    assert CATALOG.token(2023) != token


def test_an_indicator_added_to_the_year_is_known_at_once(owner_session, world):
    _submit(owner_session, world.zj, SURGERY)
    act_as_owner(owner_session)
    owner_session.execute(
        text(
            "INSERT INTO indicators (goal_id, year, code, seq, name, name_en, kind, numerator, denominator,"
            " unit, multiplier, direction) SELECT goal_id, year, 'NIT-2023-IV.9', 9, 'n', 'n', kind,"
            " 'n', 'd', '%', 100, 'higher' FROM indicators WHERE code = 'NIT-2023-IV.1'"
        )
    )
    result = _submit(
        owner_session, world.zj_other, [ValueIn(indicator="NIT-2023-IV.9", numerator=1, denominator=2)]
    )
    assert result.changed == ["NIT-2023-IV.9"]


def test_the_cache_holds_public_catalog_data_and_each_hospital_gets_its_own_applicability(
    owner_session, world
):
    set_window(owner_session, GD, QUARTER)
    _not_applicable(owner_session, world.zj, "PIT-2023-90.1")
    pit = [ValueIn(indicator="PIT-2023-90.1", numerator=1, denominator=100)]
    assert _submit(owner_session, world.gd, pit, province=GD).changed == ["PIT-2023-90.1"]
    with pytest.raises(ValidationFailed) as refused:
        _submit(owner_session, world.zj, pit)
    assert [p["code"] for p in refused.value.problems] == ["not_applicable"]
    assert _submit(owner_session, world.zj_other, pit).changed == ["PIT-2023-90.1"]
    token = CATALOG.token(2023)
    cached = CATALOG.get(2023, token) if token else None
    assert cached and all(type(i) is IndicatorInfo for i in cached.values())
    assert not {"province_code", "hospital_id"} & set(IndicatorInfo.__dataclass_fields__)


# -- the folded read answers as before ---------------------------------------------------------------


def test_a_hospital_of_another_province_is_not_found_and_nothing_is_locked(owner_session, world):
    with pytest.raises(NotFound) as err:
        _submit(owner_session, world.gd, SURGERY)  # a Zhejiang submitter names a Guangdong hospital
    assert (err.value.status, err.value.code) == (404, "not_found")
    act_as_owner(owner_session)  # no lock was taken for a hospital the caller cannot see
    locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    assert owner_session.scalar(text(locks)) == 0


def test_another_hospital_of_the_same_province_is_not_found(owner_session, world):
    actor = submitter(world.zj)
    as_app(owner_session, actor)
    with pytest.raises(NotFound) as err:
        submit(owner_session, actor, hospital_id=world.zj_other, quarter=Q, values=SURGERY, source="api")
    assert err.value.status == 404


def test_a_window_not_open_and_a_locked_window_are_refused(owner_session, world):
    from datetime import timedelta

    set_window(owner_session, "330000", QUARTER, opened=timedelta(days=-1))
    with pytest.raises(WindowNotOpen) as err:
        _submit(owner_session, world.zj, SURGERY)
    assert err.value.status == 409
    set_window(
        owner_session,
        "330000",
        QUARTER,
        opened=timedelta(days=30),
        due=timedelta(days=-20),
        locks=timedelta(days=-10),
    )
    with pytest.raises(WindowLocked) as err:
        _submit(owner_session, world.zj, SURGERY)
    assert err.value.status == 409


def test_an_approved_quarter_is_locked(owner_session, world):
    _submit(owner_session, world.zj, SURGERY)
    act_as_owner(owner_session)
    owner_session.execute(
        text("UPDATE submissions SET status = 'approved' WHERE hospital_id = :h"), {"h": world.zj}
    )
    with pytest.raises(SubmissionLocked) as err:
        _submit(owner_session, world.zj, SURGERY[:1], reason="x", expected_version=1)
    assert err.value.status == 409


def test_unknown_and_not_applicable_indicators_are_named(owner_session, world):
    _not_applicable(owner_session, world.zj, "PIT-2023-90.1")
    values = [
        ValueIn(indicator="NIT-2099-I.1", numerator=1, denominator=2),
        ValueIn(indicator="PIT-2023-90.1", numerator=1, denominator=100),
    ]
    with pytest.raises(ValidationFailed) as err:
        _submit(owner_session, world.zj, values)
    assert err.value.status == 422
    assert [(p["code"], p["index"]) for p in err.value.problems] == [
        ("unknown_indicator", 0),
        ("not_applicable", 1),
    ]
