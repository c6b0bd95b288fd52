"""Many writers correcting one hospital-quarter at once, on committed data through the app role.

Runs on the ``committed`` database (see conftest): a fresh hospital per test, a test-only catalog
year 2009 and a 2009Q1 window that is always open.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.core.errors import Conflict
from services.core.quarter import Quarter
from services.submission.reads import get_submission, value_history
from services.submission.schemas import ValueIn
from services.submission.service import submit
from tests.submission.support import ZJ, add_hospital, ensure_year, submitter

THREADS = 12
ROUNDS = 3
Q = Quarter(2009, 1)
CODE = "TST-2009-I.1"


def _setup(owner_engine) -> int:
    with Session(owner_engine) as session, session.begin():
        session.info["raw"] = True
        session.execute(text("SELECT pg_advisory_xact_lock(20091)"))  # parallel test runs set up one by one
        ensure_year(session, 2009, {"TST-2009-I": ("national", 1, [("1", "proportion")])})
        far = datetime.now(UTC) + timedelta(days=3650)
        session.execute(
            text(
                "INSERT INTO submission_windows (province_code, quarter, opens_at, due_at, locks_at,"
                " set_by) VALUES (:p, '2009Q1', '2009-04-01', :f, :f, 'tests')"
                " ON CONFLICT (province_code, quarter) DO NOTHING"
            ),
            {"p": ZJ, "f": far},
        )
        return add_hospital(session, ZJ, "并发测试医院")


def test_concurrent_corrections_serialize_without_lost_updates(committed):
    app_database = committed.database
    hospital_id = _setup(committed.owner_engine)
    actor = submitter(hospital_id)
    accepted: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        barrier.wait()
        for r in range(ROUNDS):
            numerator = n * ROUNDS + r + 1
            try:
                with app_database.unit_of_work(actor) as session:
                    submit(
                        session,
                        actor,
                        hospital_id=hospital_id,
                        quarter=Q,
                        source="api",
                        reason=f"w{n}r{r}",
                        values=[ValueIn(indicator=CODE, numerator=numerator, denominator=1000)],
                    )
                accepted.append(numerator)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(accepted) == THREADS * ROUNDS
    with app_database.unit_of_work(actor) as session:
        history = value_history(session, actor, hospital_id=hospital_id, quarter=Q, indicator=CODE)
        current = get_submission(session, actor, hospital_id=hospital_id, quarter=Q)
    assert [h.version for h in history] == list(range(1, THREADS * ROUNDS + 1))  # contiguous, each once
    assert sorted(h.numerator for h in history) == sorted(accepted)  # every accepted write is in history
    assert current.values[0].numerator == history[-1].numerator  # the last writer is the current value
    assert current.values[0].version == THREADS * ROUNDS
    assert current.version == THREADS * ROUNDS


def test_concurrent_stale_corrections_are_refused_except_one(committed):
    app_database = committed.database
    hospital_id = _setup(committed.owner_engine)
    actor = submitter(hospital_id)
    with app_database.unit_of_work(actor) as session:
        first = submit(
            session,
            actor,
            hospital_id=hospital_id,
            quarter=Q,
            source="api",
            values=[ValueIn(indicator=CODE, numerator=1, denominator=10)],
        )
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            with app_database.unit_of_work(actor) as session:
                submit(
                    session,
                    actor,
                    hospital_id=hospital_id,
                    quarter=Q,
                    source="api",
                    reason="fix",
                    expected_version=first.version,
                    values=[ValueIn(indicator=CODE, numerator=n + 2, denominator=10)],
                )
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]


def _keyed_write(
    app_database, actor, hospital_id: int, quarter: Quarter, pair: int, barrier, outcomes
) -> None:  # noqa: ANN001
    barrier.wait()
    try:
        with app_database.unit_of_work(actor) as session:
            submit(
                session,
                actor,
                hospital_id=hospital_id,
                quarter=quarter,
                source="api",
                reason="race",
                idempotency_key=f"race-{pair}",
                values=[ValueIn(indicator=CODE, numerator=pair, denominator=1000)],
            )
        outcomes.append("ok")
    except Conflict:
        outcomes.append("conflict")
    except BaseException as exc:  # noqa: BLE001 - an unhandled error is what the test is about
        outcomes.append(type(exc).__name__)


def test_one_idempotency_key_sent_for_two_quarters_at_once_answers_a_named_conflict(committed):
    """The race found outside: the same Idempotency-Key at the same instant for two quarters of one
    hospital gave one success and an unhandled unique violation (a plain-text 500). Each of 24 pairs
    must give one stored write and one named Conflict, never anything else."""
    app_database = committed.database
    hospital_id = _setup(committed.owner_engine)
    with Session(committed.owner_engine) as session, session.begin():
        session.info["raw"] = True
        far = datetime.now(UTC) + timedelta(days=3650)
        session.execute(
            text(
                "INSERT INTO submission_windows (province_code, quarter, opens_at, due_at, locks_at,"
                " set_by) VALUES (:p, '2009Q2', '2009-07-01', :f, :f, 'tests')"
                " ON CONFLICT (province_code, quarter) DO NOTHING"
            ),
            {"p": ZJ, "f": far},
        )
    actor = submitter(hospital_id)
    for pair in range(24):
        outcomes: list[str] = []
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(
                target=_keyed_write, args=(app_database, actor, hospital_id, q, pair, barrier, outcomes)
            )
            for q in (Q, Quarter(2009, 2))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(outcomes) == ["conflict", "ok"], (pair, outcomes)
