"""Bulk upload tests run on their own committed database (the job commits in its own transactions)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.db import Database
from services.core.quarter import Quarter
from services.submission import bulk
from tests.submission.support import GD, ZJ, add_hospital, ensure_catalog, set_window

QUARTER = "2023Q2"


@dataclass
class BulkDb:
    owner: Engine
    database: Database


@pytest.fixture(scope="session")
def bulk_db() -> Iterator[BulkDb]:
    from tests.db import fresh_database

    with fresh_database("qcp_bulk") as urls:
        engine = create_engine(urls.owner)
        database = Database.from_url(urls.app, pool_size=4, max_overflow=4)
        with Session(engine) as session, session.begin():
            session.info["raw"] = True
            ensure_catalog(session)
            for province in (ZJ, GD):
                set_window(session, province, QUARTER)
        try:
            yield BulkDb(engine, database)
        finally:
            database.dispose()
            engine.dispose()


@dataclass
class Hospitals:
    zj: int
    zj_code: str
    zj2: int
    gd: int
    gd_code: str


def credit(engine: Engine, hospital_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT credit_code FROM hospitals WHERE id = :h"), {"h": hospital_id}
        ).scalar_one()


@pytest.fixture
def hospitals(bulk_db: BulkDb) -> Hospitals:
    with Session(bulk_db.owner) as session, session.begin():
        session.info["raw"] = True
        zj, zj2, gd = (
            add_hospital(session, ZJ, "批量甲院"),
            add_hospital(session, ZJ, "批量乙院"),
            add_hospital(session, GD),
        )
    return Hospitals(zj, credit(bulk_db.owner, zj), zj2, gd, credit(bulk_db.owner, gd))


def run_upload(
    database: Database,
    actor: Actor,
    content: bytes,
    *,
    kind: str = "csv",
    quarter: str | None = QUARTER,
    dry_run: bool = False,
    keep_passing: bool = False,
    reason: str | None = None,
) -> bulk.BulkUploadRead:
    """The API's two steps without HTTP: create the job, then run it here (not in a thread)."""
    fd, path = tempfile.mkstemp(prefix="qcp-bulk-test-")
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    options = bulk.BulkOptions(
        kind=kind,
        quarter=Quarter.parse(quarter) if quarter else None,
        dry_run=dry_run,
        keep_passing=keep_passing,
        reason=reason,
    )
    with database.unit_of_work(actor) as session:
        job_id = bulk.create_job(session, actor, options=options, bytes_total=len(content))
    return bulk.run_job(database, actor, job_id=job_id, options=options, path=path)


def csv_file(rows: list[tuple], header: str = "医院编号,季度,指标编码,分子,分母,备注") -> bytes:
    lines = [header] + [",".join("" if c is None else str(c) for c in row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
