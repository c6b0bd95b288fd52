"""Shared fixtures. Every database test runs on real PostgreSQL built by ``alembic upgrade head``.

- ``db_urls``: one migrated database for the whole run (owner and app-role URLs).
- ``owner_session``: a Session on that database as the owner, rolled back after the test.
  Use ``tests.db.act_as_app(session, actor)`` to switch, inside the same transaction, to the
  restricted app role bound to an actor's scope (row-level security then applies).
- ``app_database``: services.core.db.Database connected as the restricted app role.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from services.core.db import Database
from services.core.embedded import ServerUrls
from tests.db import fresh_database


@pytest.fixture(scope="session")
def db_urls() -> Iterator[ServerUrls]:
    with fresh_database() as urls:
        yield urls


@pytest.fixture(scope="session")
def owner_engine(db_urls: ServerUrls) -> Iterator[Engine]:
    engine = create_engine(db_urls.owner)
    yield engine
    engine.dispose()


@pytest.fixture
def owner_session(owner_engine: Engine) -> Iterator[Session]:
    conn = owner_engine.connect()
    trans = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    session.info["raw"] = True  # no tenant binding: the test controls the role and settings
    try:
        yield session
    finally:
        session.close()
        trans.rollback()
        conn.close()


@pytest.fixture(scope="session")
def app_database(db_urls: ServerUrls) -> Iterator[Database]:
    database = Database.from_url(db_urls.app, pool_size=5, max_overflow=5)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def api(app_database: Database):
    """The live API (uvicorn + development issuer) on the session database; see tests/api_harness.py."""
    from tests.api_harness import start_live_api

    live, server = start_live_api(app_database)
    yield live
    live.close()
    server.stop()
    live.issuer.stop()
