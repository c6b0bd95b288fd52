"""Windows (defaults, late, lock, reopen) and the review flow (approve, return, resubmit, queue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.core.actor import Actor, Role
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.submission import review, windows
from services.submission.errors import InvalidTransition, SubmissionLocked, WindowLocked, WindowNotOpen
from services.submission.reads import get_submission, submission_events
from services.submission.schemas import ValueIn
from services.submission.service import submit
from tests.submission.conftest import QUARTER
from tests.submission.support import GD, ZJ, as_app, provincial_admin, set_window, submitter

Q = Quarter.parse(QUARTER)
VALUES = [ValueIn(indicator="NIT-2023-I.1", numerator=5, denominator=10)]


def _submit(session, hospital_id, values=VALUES, **kw):
    as_app(session, submitter(hospital_id))
    return submit(
        session, submitter(hospital_id), hospital_id=hospital_id, quarter=Q, values=values, source="api", **kw
    )


def test_default_window_opens_after_the_quarter_due_30_lock_45_days():
    w = windows.default_window(ZJ, Q)
    assert w.opens_at.isoformat() == "2023-07-01T00:00:00+08:00"
    assert (w.due_at - w.opens_at, w.locks_at - w.opens_at) == (timedelta(days=30), timedelta(days=45))


def test_a_window_not_yet_open_refuses(owner_session, world):
    set_window(owner_session, ZJ, QUARTER, opened=timedelta(days=-1))
    with pytest.raises(WindowNotOpen):
        _submit(owner_session, world.zj)


def test_after_lock_hospital_is_refused_until_the_provincial_admin_reopens(owner_session, world):
    _submit(owner_session, world.zj)
    set_window(
        owner_session,
        ZJ,
        QUARTER,
        opened=timedelta(days=50),
        due=timedelta(days=-20),
        locks=timedelta(days=-1),
    )
    fix = [ValueIn(indicator="NIT-2023-I.1", numerator=6, denominator=10)]
    with pytest.raises(WindowLocked):
        _submit(owner_session, world.zj, fix, reason="late fix")
    with pytest.raises(PermissionDenied):
        review.reopen(owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q, reason="x")
    as_app(owner_session, provincial_admin())
    with pytest.raises(ValidationFailed):
        review.reopen(owner_session, provincial_admin(), hospital_id=world.zj, quarter=Q, reason=" ")
    reopened = review.reopen(
        owner_session, provincial_admin(), hospital_id=world.zj, quarter=Q, reason="数据核查"
    )
    assert reopened.reopened_at is not None
    assert _submit(owner_session, world.zj, fix, reason="late fix").version == 3
    with pytest.raises(WindowLocked):  # only that hospital was reopened
        _submit(owner_session, world.zj_other)
    owner_session.execute(text("RESET ROLE"))
    audit = owner_session.execute(
        text("SELECT reason FROM audit_log WHERE action = 'submission.reopen'")
    ).scalars()
    assert list(audit) == ["数据核查"]


def test_set_window_is_provincial_and_audited(owner_session, world):
    admin = provincial_admin()
    as_app(owner_session, admin)
    now = datetime.now(UTC)
    w = windows.WindowIn(opens_at=now, due_at=now + timedelta(days=5), locks_at=now + timedelta(days=9))
    assert windows.set_window(owner_session, admin, quarter=Quarter(2024, 1), window=w).is_default is False
    with pytest.raises(PermissionDenied):
        windows.set_window(owner_session, submitter(world.zj), quarter=Quarter(2024, 1), window=w)
    with pytest.raises(ValidationFailed):
        windows.set_window(
            owner_session, admin, quarter=Quarter(2024, 1), window=w.model_copy(update={"province_code": GD})
        )
    with pytest.raises(ValueError):
        windows.WindowIn(opens_at=now, due_at=now - timedelta(days=1), locks_at=now)


def test_approve_locks_the_quarter_for_the_hospital(owner_session, world):
    _submit(owner_session, world.zj)
    as_app(owner_session, provincial_admin())
    assert [i.hospital_id for i in review.review_queue(owner_session, provincial_admin(), quarter=Q)] == [
        world.zj
    ]
    approved = review.approve(
        owner_session, provincial_admin(), hospital_id=world.zj, quarter=Q, comment="ok"
    )
    assert approved.status == "approved" and approved.reviewed_by == "admin-330000"
    assert review.review_queue(owner_session, provincial_admin(), quarter=Q) == []
    with pytest.raises(SubmissionLocked):
        _submit(
            owner_session,
            world.zj,
            [ValueIn(indicator="NIT-2023-I.1", numerator=6, denominator=10)],
            reason="x",
        )
    as_app(owner_session, provincial_admin())
    with pytest.raises(InvalidTransition):
        review.approve(owner_session, provincial_admin(), hospital_id=world.zj, quarter=Q)


def test_returned_submission_is_corrected_and_resubmitted(owner_session, world):
    _submit(owner_session, world.zj)
    as_app(owner_session, provincial_admin())
    with pytest.raises(ValidationFailed):
        review.return_submission(
            owner_session, provincial_admin(), hospital_id=world.zj, quarter=Q, comment=""
        )
    returned = review.return_submission(
        owner_session,
        provincial_admin(),
        hospital_id=world.zj,
        quarter=Q,
        comment="分母偏小，请核对 / denominator looks low",
    )
    assert returned.status == "returned" and returned.version == 2
    again = _submit(
        owner_session,
        world.zj,
        [ValueIn(indicator="NIT-2023-I.1", numerator=5, denominator=12)],
        reason="按退回意见更正",
        expected_version=2,
    )
    assert (again.status, again.version) == ("submitted", 3)
    events = submission_events(owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q)
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("submit", "draft", "submitted"),
        ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"),
    ]


def test_another_province_cannot_review_or_see(owner_session, world):
    _submit(owner_session, world.zj)
    gd_admin = provincial_admin(GD)
    as_app(owner_session, gd_admin)
    assert review.review_queue(owner_session, gd_admin) == []
    with pytest.raises(NotFound):
        review.approve(owner_session, gd_admin, hospital_id=world.zj, quarter=Q)


def test_hospital_roles_cannot_review(owner_session, world):
    _submit(owner_session, world.zj)
    with pytest.raises(PermissionDenied):
        review.approve(owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q)


def test_specialty_qc_reviews_only_submissions_with_its_goals(owner_session, world):
    owner_session.execute(
        text("INSERT INTO specialties (code, seq, name, name_en) VALUES ('t-icu', 99, '测试重症', 't')")
    )
    owner_session.execute(
        text(
            "INSERT INTO goal_owners (goal_id, specialty_code) SELECT id, 't-icu' FROM goals"
            " WHERE code = 'PIT-2023-90'"
        )
    )
    _submit(owner_session, world.zj)  # national goal only
    _submit(
        owner_session, world.zj_other, [ValueIn(indicator="PIT-2023-90.1", numerator=3, denominator=1000)]
    )
    icu = Actor(subject="icu", roles=frozenset({Role.SPECIALTY_QC}), province=ZJ, specialty="t-icu")
    as_app(owner_session, icu)
    assert [i.hospital_id for i in review.review_queue(owner_session, icu)] == [world.zj_other]
    with pytest.raises(NotFound):  # another specialty's submission answers like a missing one
        review.approve(owner_session, icu, hospital_id=world.zj, quarter=Q)
    assert review.approve(owner_session, icu, hospital_id=world.zj_other, quarter=Q).status == "approved"


def test_future_quarter_and_inactive_hospital_are_refused(owner_session, world):
    from tests.submission.support import add_hospital

    as_app(owner_session, submitter(world.zj))
    future = Quarter.containing(datetime.now(UTC).date()).next()
    with pytest.raises(ValidationFailed) as err:
        submit(
            owner_session,
            submitter(world.zj),
            hospital_id=world.zj,
            quarter=future,
            values=VALUES,
            source="api",
        )
    assert "future_quarter" in [p["code"] for p in err.value.problems]
    owner_session.execute(text("RESET ROLE"))
    closed = add_hospital(owner_session, ZJ, "已停用医院", active=False)
    with pytest.raises(ValidationFailed) as err:
        _submit(owner_session, closed)
    assert [p["code"] for p in err.value.problems] == ["hospital_inactive"]


def test_get_before_any_submission_is_an_empty_draft(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    read = get_submission(owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q)
    assert (read.status, read.version, read.values) == ("draft", 0, [])


def test_the_queue_shows_what_the_latest_write_changed_and_why(owner_session, world):
    _submit(
        owner_session,
        world.zj,
        [
            ValueIn(indicator="NIT-2023-I.1", numerator=5, denominator=10),
            ValueIn(indicator="NIT-2023-II.1", numerator=1, denominator=4),
        ],
    )
    as_app(owner_session, provincial_admin())
    [first] = review.review_queue(owner_session, provincial_admin(), quarter=Q)
    assert first.latest.correction is False and first.latest.values == 2
    # one transaction holds the whole test, so every write shares now(): date the first one back as
    # its own request would have been
    owner_session.execute(text("RESET ROLE"))
    owner_session.execute(text("ALTER TABLE submission_value_versions DISABLE TRIGGER USER"))  # rolled back
    owner_session.execute(
        text("UPDATE submission_value_versions SET recorded_at = recorded_at - interval '1 hour'")
    )
    owner_session.execute(text("ALTER TABLE submission_value_versions ENABLE TRIGGER USER"))
    fix = [ValueIn(indicator="NIT-2023-I.1", numerator=6, denominator=10)]
    _submit(owner_session, world.zj, fix, reason="漏报 1 例")
    as_app(owner_session, provincial_admin())
    [item] = review.review_queue(owner_session, provincial_admin(), quarter=Q)
    latest = item.latest
    assert (latest.correction, latest.written, latest.values, latest.reason) == (True, 1, 2, "漏报 1 例")
    [change] = latest.changes
    assert (change.indicator, change.previous_numerator, change.previous_denominator) == (
        "NIT-2023-I.1",
        5,
        10,
    )
    assert (change.numerator, change.denominator) == (6, 10)
    gd_admin = Actor(subject="gd", roles=frozenset({Role.PROVINCIAL_ADMIN}), province=GD)
    as_app(owner_session, gd_admin)
    assert review.review_queue(owner_session, gd_admin) == []  # another province sees none of it


def _icu_owns_pit_90(owner_session) -> Actor:  # noqa: ANN001
    owner_session.execute(
        text("INSERT INTO specialties (code, seq, name, name_en) VALUES ('t-icu2', 98, '测试重症二', 't2')")
    )
    owner_session.execute(
        text(
            "INSERT INTO goal_owners (goal_id, specialty_code) SELECT id, 't-icu2' FROM goals"
            " WHERE code = 'PIT-2023-90'"
        )
    )
    return Actor(subject="icu2", roles=frozenset({Role.SPECIALTY_QC}), province=ZJ, specialty="t-icu2")


def test_specialty_approval_never_locks_values_of_goals_it_does_not_own(owner_session, world):
    """issue 21: approval locks the whole quarter, so a specialty QC user may approve only a quarter
    whose every value belongs to its goals; a mixed quarter is approved by the provincial center."""
    icu = _icu_owns_pit_90(owner_session)
    mixed = [*VALUES, ValueIn(indicator="PIT-2023-90.1", numerator=3, denominator=1000)]
    _submit(owner_session, world.zj, mixed)
    as_app(owner_session, icu)
    from services.submission.errors import ApprovalOutsideSpecialty

    with pytest.raises(ApprovalOutsideSpecialty) as err:
        review.approve(owner_session, icu, hospital_id=world.zj, quarter=Q)
    assert err.value.status == 403 and err.value.code == "approval_outside_specialty"
    assert "NIT-2023-I" in err.value.detail and "provincial QC center approves" in err.value.detail
    as_app(owner_session, provincial_admin(ZJ))
    assert (
        get_submission(owner_session, provincial_admin(ZJ), hospital_id=world.zj, quarter=Q).status
        == "submitted"
    )
    # the specialty may still return the quarter (returning locks nothing) …
    as_app(owner_session, icu)
    assert (
        review.return_submission(
            owner_session, icu, hospital_id=world.zj, quarter=Q, comment="PIT-90 有误"
        ).status
        == "returned"
    )


def test_the_provincial_center_approves_a_mixed_quarter(owner_session, world):
    _icu_owns_pit_90(owner_session)
    mixed = [*VALUES, ValueIn(indicator="PIT-2023-90.1", numerator=3, denominator=1000)]
    _submit(owner_session, world.zj, mixed)
    admin = provincial_admin(ZJ)
    as_app(owner_session, admin)
    assert review.approve(owner_session, admin, hospital_id=world.zj, quarter=Q).status == "approved"
