"""Fixtures of the reliability tests: a committed database of their own (never the shared ones).

``rel``: a migrated database with a small test catalog (year 2009: one goal, three proportion
indicators), a 2009Q1 window open for years in 330000, 440000 and 510000, and helpers to add
hospitals. Tests that commit use their own hospitals, so they never see each other's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from services.core.db import Database
from tests.db import fresh_database
from tests.submission.support import add_hospital, ensure_year

YEAR, QUARTER = 2009, "2009Q1"
CODES = ("TST-2009-I.1", "TST-2009-I.2", "TST-2009-I.3")
PROVINCES = ("330000", "440000", "510000")


@dataclass
class RelDb:
    owner_engine: Engine
    database: Database
    owner_url: str
    app_url: str

    def add_hospital(self, province: str, name: str) -> int:
        with Session(self.owner_engine) as session, session.begin():
            session.info["raw"] = True
            return add_hospital(session, province, name)

    def scalar(self, sql: str, **params) -> object:
        with self.owner_engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()

    def rows(self, sql: str, **params) -> list:
        with self.owner_engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())


def prepare(owner_url: str) -> None:
    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        session.info["raw"] = True
        ensure_year(
            session,
            YEAR,
            {"TST-2009-I": ("national", 1, [("1", "proportion"), ("2", "proportion"), ("3", "proportion")])},
        )
        session.execute(
            text("UPDATE provinces SET onboarded_at = now() WHERE code = ANY(:p)"), {"p": list(PROVINCES)}
        )
        far = datetime.now(UTC) + timedelta(days=3650)
        for province in PROVINCES:
            session.execute(
                text(
                    "INSERT INTO submission_windows (province_code, quarter, opens_at, due_at,"
                    " locks_at, set_by) VALUES (:p, :q, '2009-04-01', :f, :f, 'tests')"
                    " ON CONFLICT (province_code, quarter) DO NOTHING"
                ),
                {"p": province, "q": QUARTER, "f": far},
            )
    engine.dispose()


@pytest.fixture(scope="session")
def rel() -> Iterator[RelDb]:
    with fresh_database("qcp_rel") as urls:
        prepare(urls.owner)
        engine = create_engine(urls.owner)
        database = Database.from_url(urls.app, pool_size=8, max_overflow=8)
        try:
            yield RelDb(owner_engine=engine, database=database, owner_url=urls.owner, app_url=urls.app)
        finally:
            database.dispose()
            engine.dispose()


@pytest.fixture(scope="session")
def rel_api(rel: RelDb):
    """The live API on ``rel`` with the middleware and the test environment's default limits."""
    from tests.reliability.support import start_api, stop_api

    live, server = start_api(rel.database)
    yield live
    stop_api(live, server)
