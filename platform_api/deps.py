"""Request dependencies named for what they give: ``DbSession`` (tenant-bound, one transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from platform_api.auth.deps import CurrentActor
from services.core.db import Database


def get_database(request: Request) -> Database:
    return request.app.state.database


def db_session(request: Request, actor: CurrentActor) -> Iterator[Session]:
    """A session bound to the caller's tenant; commits when the handler returns, rolls back on error."""
    with get_database(request).unit_of_work(actor) as session:
        yield session


def public_session(request: Request) -> Iterator[Session]:
    """A session with no tenant bound: sees only public tables (catalog, provinces)."""
    with get_database(request).unit_of_work(None) as session:
        yield session


# scope="function": the transaction commits before the response is sent, so a 2xx always means
# "stored" (with the default request scope FastAPI would commit after sending the response).
DbSession = Annotated[Session, Depends(db_session, scope="function")]
PublicSession = Annotated[Session, Depends(public_session, scope="function")]
