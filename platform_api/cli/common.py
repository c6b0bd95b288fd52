"""Shared CLI plumbing: database sessions for administrative commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.core import runtime


@contextmanager
def owner_session() -> Iterator[Session]:
    """A Session as the owner role (migrations, catalog publishing, onboarding). Commits on success."""
    engine = create_engine(runtime.owner_url())
    session = Session(bind=engine)
    session.info["raw"] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        engine.dispose()
