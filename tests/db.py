"""Test database plumbing: a real PostgreSQL (embedded 18 by default, or QCP_TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from services.core import embedded, runtime
from services.core.actor import Actor
from services.core.config import APP_ROLE, PROJECT_ROOT
from services.core.db import tenant_settings


def admin_uri() -> str:
    """Superuser libpq URI of the server the tests run on."""
    url = os.environ.get("QCP_TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql+psycopg://", "postgresql://")
    return embedded.start_embedded(PROJECT_ROOT / ".qcp" / "pgdata-test", keep_running=False)


@contextmanager
def fresh_database(prefix: str = "qcp_test", migrate: bool = True) -> Iterator[embedded.ServerUrls]:
    admin = admin_uri()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    embedded.ensure_database(admin, name)
    urls = embedded.server_urls(admin, name, APP_ROLE)
    try:
        if migrate:
            runtime.upgrade(urls.owner)
        yield urls
    finally:
        embedded.drop_database(admin, name)


def act_as_app(conn: Connection | Session, actor: Actor | None) -> None:
    """Inside the current transaction: become the restricted app role, bound to ``actor``'s scope."""
    conn.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    conn.execute(
        text(
            "SELECT set_config('app.province', :province, true),"
            " set_config('app.all_provinces', :all_provinces, true),"
            " set_config('app.hospital', :hospital, true)"
        ),
        tenant_settings(actor),
    )


def act_as_owner(conn: Connection | Session) -> None:
    conn.execute(text("RESET ROLE"))
