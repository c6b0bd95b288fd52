"""submit(): acceptance, versions and history, If-Match, Idempotency-Key, dry run, plausibility."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services.core.errors import Conflict, ValidationFailed
from services.core.quarter import Quarter
from services.submission.reads import get_submission, value_history
from services.submission.schemas import ValueIn
from services.submission.service import submit
from tests.submission.conftest import QUARTER
from tests.submission.support import as_app, counts, set_window, submitter

Q = Quarter.parse(QUARTER)


def v(code: str, num: int, den: int, comment: str | None = None) -> ValueIn:
    return ValueIn(indicator=code, numerator=num, denominator=den, comment=comment)


SURGERY = [v("NIT-2023-IV.1", 1, 1000), v("NIT-2023-IV.2", 2, 1000), v("NIT-2023-IV.3", 3, 1000)]


def _submit(session, hospital_id, values, **kw):
    kw.setdefault("source", "api")
    return submit(session, submitter(hospital_id), hospital_id=hospital_id, quarter=Q, values=values, **kw)


def test_accepts_a_valid_batch_and_marks_it_submitted(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    result = _submit(owner_session, world.zj, SURGERY)
    assert (result.status, result.version, result.late) == ("submitted", 1, False)
    assert result.changed == ["NIT-2023-IV.1", "NIT-2023-IV.2", "NIT-2023-IV.3"]
    assert [x.version for x in result.values] == [1, 1, 1]
    read = get_submission(owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q)
    assert (read.status, read.version, len(read.values)) == ("submitted", 1, 3)


def test_zero_denominator_is_stored_as_no_cases(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    result = _submit(owner_session, world.zj, [v("NIT-2023-I.1", 0, 0)])
    assert result.values[0].no_cases is True
    assert result.values[0].denominator == 0


def test_correction_creates_a_new_version_with_who_when_why(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    _submit(owner_session, world.zj, SURGERY)
    fixed = [v("NIT-2023-IV.1", 1, 1000), v("NIT-2023-IV.2", 2, 1000), v("NIT-2023-IV.3", 4, 1000)]
    result = _submit(
        owner_session, world.zj, fixed, reason="漏报 1 例 / one death missed", expected_version=1
    )
    assert result.changed == ["NIT-2023-IV.3"] and result.version == 2
    history = value_history(
        owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q, indicator="NIT-2023-IV.3"
    )
    assert [(h.version, h.numerator, h.reason) for h in history] == [
        (1, 3, ""),
        (2, 4, "漏报 1 例 / one death missed"),
    ]
    assert history[1].actor_subject == "zj-submitter" and history[1].actor_roles == ["hospital_submitter"]
    assert history[1].source == "api" and history[1].recorded_at is not None
    # the answer is what was stored: the same values and versions as a fresh read
    owner_session.expire_all()
    read = get_submission(owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q)
    assert result.values == read.values
    assert [(x.indicator, x.numerator, x.version) for x in read.values] == [
        ("NIT-2023-IV.1", 1, 1),
        ("NIT-2023-IV.2", 2, 1),
        ("NIT-2023-IV.3", 4, 2),
    ]


def test_correcting_a_reported_value_needs_a_reason(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    _submit(owner_session, world.zj, [v("NIT-2023-I.1", 5, 10)])
    with pytest.raises(ValidationFailed) as err:
        _submit(owner_session, world.zj, [v("NIT-2023-I.1", 6, 10)])
    assert [p["code"] for p in err.value.problems] == ["reason_required"]


def test_resending_identical_values_writes_no_new_version(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    _submit(owner_session, world.zj, SURGERY)
    before = counts(owner_session, world.zj)
    as_app(owner_session, submitter(world.zj))
    result = _submit(owner_session, world.zj, SURGERY)
    assert result.changed == [] and result.version == 1
    assert counts(owner_session, world.zj) == before


def test_stale_if_match_is_refused_and_nothing_is_overwritten(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    _submit(owner_session, world.zj, SURGERY)
    _submit(owner_session, world.zj, [v("NIT-2023-I.1", 5, 10)], expected_version=1)  # now version 2
    before = counts(owner_session, world.zj)
    as_app(owner_session, submitter(world.zj))
    with pytest.raises(Conflict) as err:
        _submit(owner_session, world.zj, [v("NIT-2023-I.1", 6, 10)], expected_version=1, reason="x")
    assert err.value.extra["current_version"] == 2
    assert counts(owner_session, world.zj) == before


def test_idempotent_retry_returns_the_original_and_writes_nothing(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    first = _submit(owner_session, world.zj, SURGERY, idempotency_key="batch-1")
    before = counts(owner_session, world.zj)
    as_app(owner_session, submitter(world.zj))
    again = _submit(owner_session, world.zj, SURGERY, idempotency_key="batch-1")
    assert again.replayed is True
    assert again.model_dump(exclude={"replayed"}) == first.model_dump(exclude={"replayed"})
    assert counts(owner_session, world.zj) == before


def test_same_idempotency_key_with_another_body_is_a_conflict_naming_the_key(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    _submit(owner_session, world.zj, SURGERY, idempotency_key="batch-2")
    with pytest.raises(Conflict, match="batch-2") as err:
        _submit(owner_session, world.zj, [v("NIT-2023-I.1", 1, 2)], idempotency_key="batch-2")
    assert err.value.extra["idempotency_key"] == "batch-2"


def test_dry_run_reports_and_writes_nothing(owner_session, world):
    before = counts(owner_session, world.zj)
    as_app(owner_session, submitter(world.zj))
    result = _submit(owner_session, world.zj, SURGERY, dry_run=True, idempotency_key="dry")
    assert result.dry_run and result.changed == ["NIT-2023-IV.1", "NIT-2023-IV.2", "NIT-2023-IV.3"]
    assert counts(owner_session, world.zj) == before
    assert before["submissions"] == before["submission_value_versions"] == 0


def test_dry_run_with_problems_raises_the_same_report(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    with pytest.raises(ValidationFailed) as err:
        _submit(owner_session, world.zj, [v("NIT-2023-I.1", 5, 4)], dry_run=True)
    assert err.value.problems[0]["code"] == "numerator_above_denominator"


def test_late_submission_between_due_and_lock_is_accepted_and_marked_late(owner_session, world):
    from datetime import timedelta

    set_window(owner_session, "330000", QUARTER, opened=timedelta(days=40), due=timedelta(days=-1))
    as_app(owner_session, submitter(world.zj))
    assert _submit(owner_session, world.zj, SURGERY).late is True


def _seed_history(session, hospital_id, quarters, num, den):
    for q in quarters:
        set_window(session, "330000", q)
        as_app(session, submitter(hospital_id))
        submit(
            session,
            submitter(hospital_id),
            hospital_id=hospital_id,
            quarter=Quarter.parse(q),
            values=[v("NIT-2023-I.1", num, den)],
            source="api",
        )
        from tests.db import act_as_owner

        act_as_owner(session)


def test_warns_when_denominator_jumps_an_order_of_magnitude(owner_session, world):
    _seed_history(owner_session, world.zj, ["2023Q1"], 50, 100)
    as_app(owner_session, submitter(world.zj))
    result = _submit(owner_session, world.zj, [v("NIT-2023-I.1", 500, 1000)])
    assert [w.code for w in result.warnings] == ["denominator_jump"]
    assert result.status == "submitted"  # a warning does not block


def test_no_warning_for_an_ordinary_quarter(owner_session, world):
    _seed_history(owner_session, world.zj, ["2023Q1"], 50, 100)
    as_app(owner_session, submitter(world.zj))
    assert _submit(owner_session, world.zj, [v("NIT-2023-I.1", 55, 110)]).warnings == []


def test_app_role_cannot_delete_or_rewrite_history(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    _submit(owner_session, world.zj, SURGERY)
    with pytest.raises(Exception, match="permission denied"):
        owner_session.execute(text("UPDATE submission_value_versions SET numerator = 0"))
