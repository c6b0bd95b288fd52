"""Shared CLI plumbing: database sessions for administrative commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from services.core import runtime
from services.core.actor import system_actor
from services.core.db import Database


@contextmanager
def owner_session() -> Iterator[Session]:
    """A unit of work as the owner role (migrations, catalog publishing, onboarding); commits on success.

    The owner is subject to FORCE ROW LEVEL SECURITY too (unless it is a superuser): administrative
    commands act with national scope, bound per transaction like every other caller.
    """
    database = Database.from_url(runtime.owner_url(), pool_size=1, max_overflow=0)
    try:
        with database.unit_of_work(system_actor("cli")) as session:
            yield session
    finally:
        database.dispose()
