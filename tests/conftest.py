"""Shared fixtures. Every database test runs on real PostgreSQL built by ``alembic upgrade head``.

- ``db_urls``: one migrated database for the whole run (owner and app-role URLs), with the shipped
  goal catalogs published (services/catalog/data/shipped.yaml, as ``qcp catalog publish --shipped``).
  ``bare_db_urls`` / ``bare_owner_session``: no catalog.
- ``owner_session``: a Session on that database as the owner, rolled back after the test.
  Use ``tests.db.act_as_app(session, actor)`` to switch, inside the same transaction, to the
  restricted app role bound to an actor's scope (row-level security then applies).
- ``app_database``: services.core.db.Database connected as the restricted app role.
- ``api``: the live API (uvicorn + development issuer, real tokens) on that database.
- ``demo_db_urls`` / ``demo_database`` / ``demo_api`` / ``demo_ids``: the same on a separate
  database loaded with the demo data set.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from services.core.db import Database
from services.core.embedded import ServerUrls
from tests.db import demo_copy, fresh_database

# The token tests' development issuer and /api/v1/me fixtures, shared by tests/auth and tests/security.
pytest_plugins = ["tests.auth.fixtures"]


@pytest.fixture(scope="session")
def db_urls() -> Iterator[ServerUrls]:
    """The shared test database: migrated, with the shipped catalogs published (committed)."""
    with fresh_database() as urls:
        _publish_builtin_catalogs(urls.owner)
        yield urls


@pytest.fixture(scope="session")
def bare_db_urls() -> Iterator[ServerUrls]:
    """A migrated database with no catalog (for tests of publishing itself)."""
    with fresh_database("qcp_bare") as urls:
        yield urls


def _publish_builtin_catalogs(owner_url: str) -> None:
    from services.catalog.publish import load_builtin_catalogs

    engine = create_engine(owner_url)
    with Session(bind=engine) as session:
        session.info["raw"] = True
        load_builtin_catalogs(session, published_by="tests")
        session.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def owner_engine(db_urls: ServerUrls) -> Iterator[Engine]:
    engine = create_engine(db_urls.owner)
    yield engine
    engine.dispose()


def _rolled_back_session(engine: Engine) -> Iterator[Session]:
    conn = engine.connect()
    trans = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    session.info["raw"] = True  # no tenant binding: the test controls the role and settings
    try:
        yield session
    finally:
        session.close()
        trans.rollback()
        conn.close()


@pytest.fixture
def owner_session(owner_engine: Engine) -> Iterator[Session]:
    yield from _rolled_back_session(owner_engine)


@pytest.fixture
def bare_owner_session(bare_db_urls: ServerUrls) -> Iterator[Session]:
    engine = create_engine(bare_db_urls.owner)
    yield from _rolled_back_session(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def app_database(db_urls: ServerUrls) -> Iterator[Database]:
    database = Database.from_url(db_urls.app, pool_size=5, max_overflow=5)
    yield database
    database.dispose()


def _live_api(database: Database):
    from tests.api_harness import start_live_api

    live, server = start_live_api(database)
    yield live
    live.close()
    server.stop()
    live.issuer.stop()


@pytest.fixture(scope="session")
def api(app_database: Database):
    """The live API (uvicorn + development issuer) on the session database; see tests/api_harness.py."""
    yield from _live_api(app_database)


@pytest.fixture(scope="session")
def demo_db_urls() -> Iterator[ServerUrls]:
    """A separate database holding the full demo data set (shipped catalogs, registry, values of
    2022Q1–2023Q4 and of the third quarter of each later published year)."""
    with demo_copy("qcp_demo") as (urls, hospitals, centers):
        DEMO_IDS.update(hospitals=hospitals, centers=centers)
        yield urls


DEMO_IDS: dict = {}


@pytest.fixture(scope="session")
def demo_ids(demo_db_urls: ServerUrls) -> dict:
    """{'hospitals': {demo key: id}, 'centers': {province or None: QC center id}} of the demo database."""
    return DEMO_IDS


@pytest.fixture(scope="session")
def demo_database(demo_db_urls: ServerUrls) -> Iterator[Database]:
    database = Database.from_url(demo_db_urls.app, pool_size=5, max_overflow=5)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def demo_api(demo_database: Database):
    """The live API on the demo database (same harness as ``api``)."""
    yield from _live_api(demo_database)
