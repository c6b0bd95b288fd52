"""Provincial bulk upload: one file (CSV, XLSX or JSON lines) for many hospitals of the caller's
province and one quarter, checked and stored set-based.

A job runs in five steps, all in one transaction as the restricted app role (row-level security on):

1. **stage**: the file is streamed row by row into a temporary table with COPY (``bulk_read``);
2. **preconditions** of the quarter: it has started, its catalog is published, its window is open;
3. **lock**: the province-quarter advisory lock, exclusive (single submissions and reviews take it
   shared, so they wait for the upload and it for them); then the touched headers ``FOR UPDATE``;
4. **check** every rule of a single submission set-based (``bulk_checks``): every problem is kept
   with its row, hospital and indicator;
5. **write** set-based (``bulk_write``): headers, values, versions, events and one audit row per
   hospital, exactly what ``service.submit`` writes for one hospital.

All or nothing by default: any problem refuses the whole file and stores nothing. With
``keep_passing`` the hospitals whose rows are all clean are stored and the others listed. A dry run
does everything but the write and rolls back. The job row (``bulk_uploads``) is updated in short
transactions of its own, so its progress can be read while the upload's transaction runs; its final
status of a stored upload is written in the upload's own transaction (both or neither).

**A job whose worker died** (the process was killed, the host went down) is found by reading it: the
worker holds a session-level advisory lock on the job (``qcp.bulk_job:<id>``) on a connection of its
own from before it marks the job running until after it has finished it, and PostgreSQL releases
that lock when the connection goes. A job still ``queued`` or ``running`` whose lock nobody holds
(a queued one after ``QUEUED_GRACE``: its thread takes the lock at once) is marked ``failed`` with
``STALE_ERROR`` by whoever reads it (``get_job``, ``list_jobs``). Nothing of it was stored: the
upload is one transaction, and the stored status commits with it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import IO, Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.db import Database
from services.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.core.schemas import ReadModel
from services.identity.permissions import require
from services.models import BulkUpload
from services.submission import bulk_read, bulk_write
from services.submission import repository as repo
from services.submission.bulk_checks import STAGE_DDL, Setting, run_checks
from services.submission.events import actor_roles
from services.submission.io_common import UploadSettings
from services.submission.validation import check_quarter, parse_quarter, problem, refuse
from services.submission.windows import WindowRead, check_open, effective_window, now, today_in_china

log = logging.getLogger(__name__)
ACTION = "submission.bulk_upload"
SOURCES = {"csv": "csv", "xlsx": "xlsx", "jsonl": "api"}  # value history keeps the channel's source
UNFINISHED = ("queued", "running")
QUEUED_GRACE = timedelta(minutes=5)  # a job's thread starts when it is created: queued longer = lost
STALE_ERROR = (
    "处理该任务的进程已中断（服务重启或崩溃），任务未完成；本次上传没有保存任何数据（写入是一个事务），请重新上传 / "
    "the process running this upload stopped (a restart or a crash) before it finished: nothing of this "
    "upload was stored (the write is one transaction); upload the file again"
)


class BulkSettings(BaseSettings):
    """Limits of bulk uploads (environment ``QCP_BULK_*``)."""

    model_config = SettingsConfigDict(env_prefix="QCP_BULK_", extra="ignore")

    max_bytes: int = 256 * 1024 * 1024  # a CSV of the whole national quarter is about 30 MiB
    xlsx_max_bytes: int = 16 * 1024 * 1024  # a workbook is inspected whole (zip): kept smaller
    xlsx_max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_problems: int = 1000  # listed in the job; the count is always complete
    max_hospitals_listed: int = 500  # per-hospital detail in the result


@lru_cache
def bulk_settings() -> BulkSettings:
    return BulkSettings()


class BulkUploadRead(ReadModel):
    id: int
    province_code: str
    quarter: str | None
    kind: str
    dry_run: bool
    keep_passing: bool
    status: str
    phase: str
    bytes_total: int
    bytes_read: int
    rows_read: int
    progress: float
    problem_count: int
    problems: list[dict[str, Any]]
    result: dict[str, Any] | None
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class BulkOptions:
    kind: str  # csv | xlsx | jsonl
    quarter: Quarter | None = None
    dry_run: bool = False
    keep_passing: bool = False
    reason: str | None = None


def check_allowed(actor: Actor) -> str:
    """The caller's province, if the caller may bulk upload (provincial QC admins only)."""
    require(actor, ACTION)
    if actor.province is None or actor.hospital_id is not None:
        raise PermissionDenied(
            "批量上传仅限省级质控管理员 / bulk upload is for provincial QC administrators", action=ACTION
        )
    return actor.province


def create_job(session: Session, actor: Actor, *, options: BulkOptions, bytes_total: int) -> int:
    """A queued job row for the caller's province (flushed; the caller commits)."""
    province = check_allowed(actor)
    job = BulkUpload(
        province_code=province,
        quarter=str(options.quarter) if options.quarter else None,
        actor_subject=actor.subject,
        kind=options.kind,
        dry_run=options.dry_run,
        keep_passing=options.keep_passing,
        bytes_total=bytes_total,
    )
    session.add(job)
    session.flush()
    return job.id


def _read(job: BulkUpload) -> BulkUploadRead:
    if job.status in ("succeeded", "refused", "failed"):
        progress = 1.0
    elif job.phase == "reading" and job.bytes_total:
        progress = 0.6 * min(job.bytes_read / job.bytes_total, 1.0)
    else:
        progress = {"queued": 0.0, "checking": 0.7, "writing": 0.85}.get(job.phase, 0.0)
    return BulkUploadRead.model_validate({**_columns(job), "progress": round(progress, 3)})


def _columns(job: BulkUpload) -> dict[str, Any]:
    return {c.key: getattr(job, c.key) for c in BulkUpload.__table__.columns}


def jobs_stmt(actor: Actor) -> Any:
    """Jobs in the caller's province (the one place this filter is written; RLS says the same)."""
    return select(BulkUpload).where(BulkUpload.province_code == check_allowed(actor))


def get_job(session: Session, actor: Actor, *, job_id: int) -> BulkUploadRead:
    job = session.execute(jobs_stmt(actor).where(BulkUpload.id == job_id)).scalar_one_or_none()
    if job is None:
        raise NotFound(f"批量上传 {job_id} 不存在 / bulk upload {job_id} not found")
    _settle_if_stale(session, job)
    return _read(job)


def list_jobs(session: Session, actor: Actor, *, limit: int = 20) -> list[BulkUploadRead]:
    stmt = jobs_stmt(actor).order_by(BulkUpload.id.desc()).limit(max(1, min(limit, 100)))
    jobs = list(session.execute(stmt).scalars())
    for job in jobs:
        _settle_if_stale(session, job)
    return [_read(j) for j in jobs]


# --- jobs whose worker died ---------------------------------------------------------------------


def job_lock_key(job_id: int) -> str:
    """The advisory lock a live worker holds on its job (session level, on a connection of its own)."""
    return f"qcp.bulk_job:{job_id}"


_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))")


def _settle_if_stale(session: Session, job: BulkUpload) -> None:
    """Mark ``job`` failed if it is unfinished and no worker holds its lock (its worker died).

    The lock is tried transaction-level: held until the reader's transaction ends, so a worker that
    is just starting waits for this verdict (and then finds the job no longer queued). The job is
    read again under the lock: a worker finishes (commits) before it lets its lock go."""
    if job.status not in UNFINISHED:
        return
    if job.status == "queued" and now() - job.created_at < QUEUED_GRACE:
        return  # its thread may not have started yet
    if not session.execute(_TRY_LOCK, {"k": job_lock_key(job.id)}).scalar_one():
        return  # a live worker holds it
    session.refresh(job)
    if job.status not in UNFINISHED:
        return  # it finished between the two reads
    log.warning("bulk upload %s: %s with no live worker, marked failed", job.id, job.status)
    job.status, job.phase, job.finished_at, job.error = "failed", "done", now(), STALE_ERROR
    session.flush()


# --- running a job ------------------------------------------------------------------------------


class _Tracker:
    """Updates the job row in short transactions of its own (visible while the upload runs)."""

    def __init__(self, database: Database, actor: Actor, job_id: int) -> None:
        self.database, self.actor, self.job_id = database, actor, job_id

    def update(self, **fields: Any) -> None:
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        with self.database.unit_of_work(self.actor) as session:
            session.execute(
                text(f"UPDATE bulk_uploads SET {sets} WHERE id = :id"),
                {**fields, "id": self.job_id},
            )

    def reading(self, bytes_read: int, rows: int) -> None:
        self.update(bytes_read=bytes_read, rows_read=rows)


def _stream(raw: IO[bytes], sink: bulk_read.RowSink, kind: str, progress: bulk_read.Progress) -> int:
    settings = bulk_settings()
    if kind == "csv":
        return bulk_read.stream_csv(raw, sink, progress)
    if kind == "jsonl":
        return bulk_read.stream_jsonl(raw, sink, progress)
    size = os.fstat(raw.fileno()).st_size
    if size > settings.xlsx_max_bytes:
        raise ValidationFailed(
            f"XLSX 文件 {size} 字节，批量上传的工作簿上限 {settings.xlsx_max_bytes} 字节；大文件请另存为 CSV / the "
            f"workbook is {size} bytes, bulk XLSX files are limited to {settings.xlsx_max_bytes}: save large files as CSV",
            problems=[{"code": "xlsx_too_large", "limit": settings.xlsx_max_bytes}],
        )
    limits = UploadSettings(
        max_bytes=settings.xlsx_max_bytes, max_uncompressed_bytes=settings.xlsx_max_uncompressed_bytes
    )
    return bulk_read.stream_xlsx(raw, sink, progress, limits)


def _stage(session: Session, path: str, kind: str, tracker: _Tracker) -> int:
    session.execute(text(STAGE_DDL))
    conn = session.connection().connection.driver_connection
    assert conn is not None  # a live psycopg connection: the session has just used it
    columns = ", ".join(bulk_read.STAGE_COLUMNS)
    with open(path, "rb") as raw, conn.cursor().copy(f"COPY bulk_stage ({columns}) FROM STDIN") as copy:
        rows = _stream(raw, copy, kind, tracker.reading)
    return rows


def _quarter_of(session: Session, given: Quarter | None) -> Quarter:
    if given is not None:
        return given
    first = session.execute(
        text("SELECT btrim(quarter) FROM bulk_stage WHERE btrim(quarter) <> '' ORDER BY row_no LIMIT 1")
    ).scalar_one_or_none()
    if first is None:
        raise ValidationFailed(
            "未指定季度：请在表单字段 quarter 中给出，或在文件中加“季度”列 / no quarter: give it in the form field "
            "'quarter' or in a 季度 / quarter column",
            problems=[{"field": "quarter", "code": "required"}],
        )
    return parse_quarter(first)


@dataclass(frozen=True)
class _Window:
    late: bool
    locked: bool


def _window(window: WindowRead, at: datetime) -> _Window:
    """Raises when the window has not opened; when it is locked, reopened hospitals may still write."""
    locked = at >= window.locks_at
    if not locked:
        return _Window(late=check_open(window, None, at), locked=False)
    return _Window(late=True, locked=True)


def _preflight(session: Session, province: str, quarter: Quarter, at: datetime) -> _Window:
    """The quarter's own checks (started, catalog published, window open), once for the whole file."""
    problems = check_quarter(quarter, today_in_china())
    if not repo.catalog_published(session, quarter.year):
        problems.append(
            problem(
                "catalog_not_published",
                "quarter",
                f"{quarter.year} 年目标目录尚未发布",
                f"the {quarter.year} goal catalog is not published",
                "请等待目录发布后上报",
                "report once the catalog is published",
            )
        )
    refuse(problems)
    return _window(effective_window(session, province, quarter), at)


def _problems(session: Session, limit: int) -> tuple[int, list[dict[str, Any]]]:
    count = session.execute(text("SELECT count(*) FROM bulk_problems")).scalar_one()
    rows = session.execute(
        text(
            "SELECT row_no, hospital, hospital_id, indicator, field, code, problem, fix FROM bulk_problems"
            " ORDER BY row_no NULLS FIRST, code LIMIT :n"
        ),
        {"n": limit},
    ).mappings()
    listed = [{k: v for k, v in {"row": r["row_no"], **dict(r)}.items() if k != "row_no"} for r in rows]
    return count, listed


def _summary(session: Session, rows: int, limit: int) -> dict[str, Any]:
    counts = session.execute(
        text(
            "SELECT (SELECT count(*) FROM bulk_hospitals),"
            " (SELECT count(*) FROM bulk_ok), (SELECT CAST(coalesce(sum(n), 0) AS bigint) FROM bulk_changed)"
        )
    ).one()
    detail = session.execute(
        text(
            "SELECT o.hospital_id, coalesce(c.n, 0) AS changed FROM bulk_ok o LEFT JOIN bulk_changed c"
            " ON c.hospital_id = o.hospital_id ORDER BY o.hospital_id LIMIT :n"
        ),
        {"n": limit},
    ).all()
    return {
        "rows": rows,
        "hospitals": counts[0],
        "hospitals_passed": counts[1],
        "hospitals_refused": counts[0] - counts[1],
        "values_changed": counts[2],
        "values_unchanged": rows - counts[2],
        "per_hospital": [{"hospital_id": h, "changed": n} for h, n in detail],
    }


@dataclass
class _Outcome:
    status: str
    quarter: Quarter
    problem_count: int
    problems: list[dict[str, Any]]
    result: dict[str, Any] | None


def _execute(
    session: Session, actor: Actor, job: BulkUploadRead, options: BulkOptions, path: str, tracker: _Tracker
) -> _Outcome:
    settings = bulk_settings()
    province = check_allowed(actor)
    rows = _stage(session, path, options.kind, tracker)
    quarter = _quarter_of(session, options.quarter)
    tracker.update(phase="checking", rows_read=rows, quarter=str(quarter))
    at = now()
    window = _preflight(session, province, quarter, at)
    if not options.dry_run:
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": repo.bulk_lock_key(province, quarter)},
        )
    reason = (options.reason or "").strip()
    run_checks(session, Setting(province, quarter, reason, window.locked))
    count, listed = _problems(session, settings.max_problems)
    if count and not options.keep_passing:
        return _Outcome("refused", quarter, count, listed, None)
    bulk_write.choose_hospitals(session, quarter)
    result = _summary(session, rows, settings.max_hospitals_listed)
    if options.dry_run or result["hospitals_passed"] == 0:
        status = "refused" if count and result["hospitals_passed"] == 0 else "succeeded"
        return _Outcome(
            status, quarter, count, listed, {**result, "dry_run": options.dry_run, "stored": False}
        )
    tracker.update(phase="writing")
    ctx = bulk_write.WriteContext(
        province=province,
        quarter=quarter,
        at=at,
        late=window.late,
        by=actor.subject,
        roles=actor_roles(actor),
        client=actor.client_id,
        reason=reason,
        source=SOURCES[options.kind],
        job=job.id,
    )
    written = bulk_write.write(session, ctx)
    return _Outcome(
        "succeeded", quarter, count, listed, {**result, **written, "dry_run": False, "stored": True}
    )


@contextmanager
def _worker_alive(database: Database, job_id: int) -> Iterator[None]:
    """Hold the job's advisory lock on a connection of our own while the job runs (see the module)."""
    key = {"k": job_lock_key(job_id)}
    conn = database.engine.connect()
    try:
        conn.execute(text("SELECT pg_advisory_lock(hashtextextended(:k, 0))"), key)
        conn.commit()
        yield
    finally:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"), key)
            conn.commit()
        except Exception:  # a broken connection: its lock went with it
            log.exception("bulk upload %s: could not release the job lock", job_id)
            conn.invalidate()
        conn.close()


def _start(database: Database, actor: Actor, job_id: int) -> bool:
    """Queued → running; False if the job is no longer queued (a reader found it stale first)."""
    with database.unit_of_work(actor) as session:
        started = session.execute(
            text(
                "UPDATE bulk_uploads SET status = 'running', phase = 'reading', started_at = :at"
                " WHERE id = :id AND status = 'queued' RETURNING id"
            ),
            {"at": now(), "id": job_id},
        ).first()
    return started is not None


def run_job(
    database: Database, actor: Actor, *, job_id: int, options: BulkOptions, path: str
) -> BulkUploadRead:
    """Run a queued job to its end (status succeeded, refused or failed); removes ``path``."""
    with _worker_alive(database, job_id):
        if not _start(database, actor, job_id):
            _remove(path)
            log.warning("bulk upload %s was no longer queued when its worker started", job_id)
            with database.unit_of_work(actor) as session:
                return get_job(session, actor, job_id=job_id)
        return _run(database, actor, job_id=job_id, options=options, path=path)


def _run(database: Database, actor: Actor, *, job_id: int, options: BulkOptions, path: str) -> BulkUploadRead:
    tracker = _Tracker(database, actor, job_id)
    with database.unit_of_work(actor) as session:
        job = get_job(session, actor, job_id=job_id)
    fields: dict[str, Any]
    try:
        with database.unit_of_work(actor) as session:
            outcome = _execute(session, actor, job, options, path, tracker)
            fields = {
                "status": outcome.status,
                "quarter": str(outcome.quarter),
                "problem_count": outcome.problem_count,
                "problems": outcome.problems,
                "result": outcome.result,
            }
            if outcome.status == "succeeded" and not options.dry_run and (outcome.result or {}).get("stored"):
                # the stored status commits with the values: a job still 'running' stored nothing
                return _finish_in(session, actor, job_id, fields)
            session.rollback()  # refused or dry run: nothing of the upload is kept
    except DomainError as exc:
        problems = list(getattr(exc, "problems", None) or [])
        fields = {
            "status": "refused",
            "problem_count": len(problems) or 1,
            "problems": problems,
            "error": exc.detail,
        }
    except Exception:  # the job must end: a crash is reported on the job, the details in the log
        log.exception("bulk upload %s failed", job_id)
        fields = {
            "status": "failed",
            "error": "内部错误，请联系管理员 / internal error: contact the administrator",
        }
    finally:
        _remove(path)
    return _finish(database, actor, job_id, fields)


def _finish(database: Database, actor: Actor, job_id: int, fields: dict[str, Any]) -> BulkUploadRead:
    with database.unit_of_work(actor) as session:
        return _finish_in(session, actor, job_id, fields)


def _finish_in(session: Session, actor: Actor, job_id: int, fields: dict[str, Any]) -> BulkUploadRead:
    from services import audit

    job = session.execute(jobs_stmt(actor).where(BulkUpload.id == job_id)).scalar_one()
    for key, value in fields.items():
        setattr(job, key, value)
    job.phase, job.finished_at = "done", now()
    if job.status != "failed":
        job.bytes_read = job.bytes_total
    session.flush()
    read = _read(job)
    result = read.result or {}
    audit.record(
        session,
        actor,
        action="submission.bulk_upload",
        entity="bulk_upload",
        entity_id=job_id,
        before=None,
        after={
            "status": read.status,
            "quarter": read.quarter,
            "dry_run": read.dry_run,
            "keep_passing": read.keep_passing,
            "problem_count": read.problem_count,
            **{k: v for k, v in result.items() if k != "per_hospital"},
        },
    )
    return read


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def start_job(
    database: Database,
    actor: Actor,
    *,
    job_id: int,
    options: BulkOptions,
    path: str,
    runner: Callable[..., Any] = run_job,
) -> threading.Thread:
    """Run the job in a background thread of this process (the caller answers 202 at once)."""
    thread = threading.Thread(
        target=runner,
        args=(database, actor),
        kwargs={"job_id": job_id, "options": options, "path": path},
        name=f"bulk-upload-{job_id}",
        daemon=True,
    )
    thread.start()
    return thread
