"""Test database plumbing: a real PostgreSQL (embedded 18 by default, or QCP_TEST_DATABASE_URL)."""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
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
    """A new database of its own, dropped afterwards. ``migrate``: at Alembic's head, copied from a
    template this run migrated once (``CREATE DATABASE … TEMPLATE``: a file copy, far faster than
    running every migration again; tests/migrations runs the migrations themselves)."""
    admin = admin_uri()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    if migrate:
        _copy_database(admin, _template(admin, "migrated", lambda urls: None), name)
    else:
        embedded.ensure_database(admin, name)
    urls = embedded.server_urls(admin, name, APP_ROLE)
    try:
        yield urls
    finally:
        embedded.drop_database(admin, name)


@contextmanager
def demo_copy(prefix: str) -> Iterator[tuple[embedded.ServerUrls, dict[str, int], dict[str | None, int]]]:
    """A database of its own holding the full demo data set (``services.demo.load.load_demo``), copied
    from a template loaded once per run; with the demo's hospital ids by key and QC center ids."""
    admin = admin_uri()
    template = _template(admin, "demo", _load_demo)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _copy_database(admin, template, name)
    urls = embedded.server_urls(admin, name, APP_ROLE)
    try:
        hospitals, centers = _DEMO_IDS
        yield urls, dict(hospitals), dict(centers)
    finally:
        embedded.drop_database(admin, name)


_TEMPLATES: dict[str, str] = {}
_DEMO_IDS: list = []


def _load_demo(urls: embedded.ServerUrls) -> None:
    from services.demo.load import load_demo

    _DEMO_IDS[:] = load_demo(urls.owner, echo=lambda _msg: None)


def _template(admin: str, kind: str, fill: Callable[[embedded.ServerUrls], None]) -> str:
    """The name of this run's template database of ``kind`` (migrated, then ``fill``ed), made on first use
    and dropped when the run ends."""
    if kind not in _TEMPLATES:
        name = f"qcp_tpl_{kind}_{uuid.uuid4().hex[:10]}"
        embedded.ensure_database(admin, name)
        atexit.register(_drop_quietly, admin, name)
        urls = embedded.server_urls(admin, name, APP_ROLE)
        runtime.upgrade(urls.owner)
        fill(urls)
        _TEMPLATES[kind] = name
    return _TEMPLATES[kind]


def _drop_quietly(admin: str, name: str) -> None:
    try:
        embedded.drop_database(admin, name)
    except psycopg.Error:  # the server is already gone: so is the template
        pass


def _copy_database(admin: str, template: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        # CREATE DATABASE … TEMPLATE needs the template free of sessions: none of ours stays open, but
        # end any that lingers (e.g. a pool not yet garbage-collected) rather than fail.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (template,),
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        )


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
