"""Alembic owns the schema: it round-trips, and the models agree with it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

import services.models  # noqa: F401
from services.core import runtime
from services.core.base import Base
from tests.db import fresh_database


def test_upgrade_downgrade_upgrade_round_trip():
    with fresh_database("qcp_mig") as urls:
        runtime.downgrade(urls.owner, "base")
        engine = create_engine(urls.owner)
        with engine.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            ).scalar()
        assert left == 0
        runtime.upgrade(urls.owner)
        with engine.connect() as conn:
            provinces = conn.execute(text("SELECT count(*) FROM provinces")).scalar()
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        engine.dispose()
    assert provinces == 32
    assert diff == [], f"models and migrations disagree: {diff}"
