"""A bulk job whose worker died (process killed, host down) is reported failed, not `running` forever.

A live worker holds the job's advisory lock on a connection of its own; PostgreSQL lets it go when
that connection goes. A dead worker is simulated by a job row left `running` (or long `queued`)
with nobody holding the lock; a live one by holding the lock on another connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.submission import bulk
from tests.bulk.conftest import QUARTER, BulkDb, csv_file, run_upload
from tests.submission.support import ZJ, provincial_admin

ADMIN = provincial_admin(ZJ)


def left_behind(db: BulkDb, *, status: str = "running", age: timedelta = timedelta(0)) -> int:
    """A job as a worker that died mid-way leaves it: ``status``, created and started ``age`` ago."""
    options = bulk.BulkOptions(kind="csv")
    with db.database.unit_of_work(ADMIN) as session:
        job_id = bulk.create_job(session, ADMIN, options=options, bytes_total=1000)
    with Session(db.owner) as session, session.begin():
        session.info["raw"] = True
        session.execute(
            text(
                "UPDATE bulk_uploads SET status = :s, phase = :phase, created_at = now() - :age,"
                " started_at = :started, rows_read = :rows WHERE id = :id"
            ),
            {
                "s": status,
                "phase": "writing" if status == "running" else "queued",
                "age": age,
                "started": datetime.now(UTC) - age if status == "running" else None,
                "rows": 500 if status == "running" else 0,
                "id": job_id,
            },
        )
    return job_id


@contextmanager
def live_worker(db: BulkDb, job_id: int) -> Iterator[None]:
    """Another connection holding the job's lock, as a running worker does."""
    with db.database.engine.connect() as conn:
        conn.execute(
            text("SELECT pg_advisory_lock(hashtextextended(:k, 0))"), {"k": bulk.job_lock_key(job_id)}
        )
        conn.commit()
        try:
            yield
        finally:
            conn.execute(
                text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"), {"k": bulk.job_lock_key(job_id)}
            )
            conn.commit()


def read(db: BulkDb, job_id: int) -> bulk.BulkUploadRead:
    with db.database.unit_of_work(ADMIN) as session:
        return bulk.get_job(session, ADMIN, job_id=job_id)


def test_a_running_job_whose_worker_died_reads_as_failed_with_nothing_stored(bulk_db, hospitals):
    job_id = left_behind(bulk_db)
    job = read(bulk_db, job_id)
    assert job.status == "failed" and job.phase == "done" and job.finished_at is not None
    assert job.error == bulk.STALE_ERROR
    assert "没有保存任何数据" in job.error and "nothing of this upload was stored" in job.error
    with bulk_db.owner.connect() as conn:  # the verdict is stored: every later reader sees the same
        assert (
            conn.execute(text("SELECT status FROM bulk_uploads WHERE id = :i"), {"i": job_id}).scalar()
            == "failed"
        )
    with bulk_db.database.unit_of_work(ADMIN) as session:
        listed = {j.id: j for j in bulk.list_jobs(session, ADMIN)}
    assert listed[job_id].status == "failed"
    # the admin uploads again: the province-quarter lock went with the dead worker's connection
    again = run_upload(
        bulk_db.database, ADMIN, csv_file([(hospitals.zj, QUARTER, "NIT-2023-I.1", 3, 10, None)])
    )
    assert again.status == "succeeded", again.problems


def test_a_job_whose_worker_is_alive_keeps_running_however_long_it_takes(bulk_db, hospitals):
    job_id = left_behind(bulk_db, age=timedelta(hours=3))
    with live_worker(bulk_db, job_id):
        assert read(bulk_db, job_id).status == "running"
        with bulk_db.database.unit_of_work(ADMIN) as session:
            assert {j.id: j.status for j in bulk.list_jobs(session, ADMIN)}[job_id] == "running"
    assert read(bulk_db, job_id).status == "failed"  # the worker let go without finishing it


def test_a_queued_job_gets_its_grace_then_reads_as_failed_if_no_worker_took_it(bulk_db, hospitals):
    fresh = left_behind(bulk_db, status="queued")
    assert read(bulk_db, fresh).status == "queued"  # its thread may be starting
    lost = left_behind(bulk_db, status="queued", age=bulk.QUEUED_GRACE + timedelta(minutes=1))
    job = read(bulk_db, lost)
    assert job.status == "failed" and job.error == bulk.STALE_ERROR


def test_a_worker_that_starts_after_its_job_was_declared_lost_does_not_run_it(bulk_db, hospitals):
    lost = left_behind(bulk_db, status="queued", age=bulk.QUEUED_GRACE + timedelta(minutes=1))
    assert read(bulk_db, lost).status == "failed"
    rows = [(hospitals.zj, QUARTER, "NIT-2023-I.1", 3, 10, None)]
    import os
    import tempfile

    fd, path = tempfile.mkstemp(prefix="qcp-bulk-test-")
    with os.fdopen(fd, "wb") as out:
        out.write(csv_file(rows))
    job = bulk.run_job(bulk_db.database, ADMIN, job_id=lost, options=bulk.BulkOptions(kind="csv"), path=path)
    assert job.status == "failed" and job.error == bulk.STALE_ERROR
    assert not os.path.exists(path)
    with bulk_db.owner.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM submission_values WHERE hospital_id = :h"), {"h": hospitals.zj}
            ).scalar()
            == 0
        )


def test_a_finished_job_is_never_touched_by_the_check(bulk_db, hospitals):
    job = run_upload(
        bulk_db.database,
        ADMIN,
        csv_file([(hospitals.zj, QUARTER, "NIT-2023-I.1", 3, 10, None)]),
        dry_run=True,
    )
    assert job.status == "succeeded"
    assert read(bulk_db, job.id).status == "succeeded" and read(bulk_db, job.id).error == ""
