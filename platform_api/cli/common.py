"""Shared CLI plumbing: database sessions for administrative commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.core import runtime
from services.core.actor import system_actor


@contextmanager
def owner_session() -> Iterator[Session]:
    """A Session as the owner role (migrations, catalog publishing, onboarding). Commits on success."""
    engine = create_engine(runtime.owner_url())
    session = Session(bind=engine)
    # The owner is subject to FORCE ROW LEVEL SECURITY too (unless it is a superuser): administrative
    # commands act with national scope, bound per transaction like every other caller.
    session.info["actor"] = system_actor("cli")
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        engine.dispose()
