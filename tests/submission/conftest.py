from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from tests.submission.support import GD, ZJ, add_hospital, ensure_catalog, set_window

QUARTER = "2023Q2"


@dataclass
class World:
    zj: int
    zj_other: int
    gd: int


@pytest.fixture
def world(owner_session: Session) -> World:
    ensure_catalog(owner_session)
    ids = World(
        zj=add_hospital(owner_session, ZJ, "浙江甲医院"),
        zj_other=add_hospital(owner_session, ZJ, "浙江乙医院"),
        gd=add_hospital(owner_session, GD, "广东医院"),
    )
    for province in (ZJ, GD):
        set_window(owner_session, province, QUARTER)
    return ids


@dataclass
class Committed:
    owner_engine: object
    database: object


@pytest.fixture(scope="session")
def committed():
    """A separate migrated database for tests that commit (concurrency, live API).

    Committed rows never reach the shared test database, whose other tests assume it holds only
    their own (rolled-back) data; this one is dropped at the end of the run.
    """
    from sqlalchemy import create_engine

    from services.core.db import Database
    from tests.db import fresh_database

    with fresh_database("qcp_sub") as urls:
        engine = create_engine(urls.owner)
        database = Database.from_url(urls.app, pool_size=8, max_overflow=8)
        try:
            yield Committed(owner_engine=engine, database=database)
        finally:
            database.dispose()
            engine.dispose()
