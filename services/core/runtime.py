"""Resolve where the database is (embedded by default) and run migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from services.core import embedded
from services.core.config import APP_ROLE, PROJECT_ROOT, database_settings

DB_NAME = "qcp"


_STOP_EMBEDDED_AT_EXIT = False


def stop_embedded_at_exit() -> None:
    """The embedded server this process starts or joins stops when the process ends (``qcp demo``:
    Ctrl-C must not leave PostgreSQL running). Call before the first ``embedded_admin_uri()``."""
    global _STOP_EMBEDDED_AT_EXIT
    _STOP_EMBEDDED_AT_EXIT = True


def embedded_admin_uri() -> str:
    pgdata = database_settings().data_dir / "pgdata"
    return embedded.start_embedded(pgdata, keep_running=not _STOP_EMBEDDED_AT_EXIT)


def owner_url() -> str:
    """The owner role's URL: migrations and catalog publishing run as it."""
    settings = database_settings()
    if settings.migration_database_url:
        return settings.migration_database_url
    if settings.database_url:
        raise RuntimeError(
            "QCP_DATABASE_URL is set but QCP_MIGRATION_DATABASE_URL is not: set the owner URL for migrations"
        )
    admin = embedded_admin_uri()
    embedded.ensure_database(admin, DB_NAME)
    return embedded.server_urls(admin, DB_NAME, APP_ROLE).owner


def app_url() -> str:
    """The restricted application role's URL."""
    settings = database_settings()
    if settings.database_url:
        return settings.database_url
    admin = embedded_admin_uri()
    embedded.ensure_database(admin, DB_NAME)
    return embedded.server_urls(admin, DB_NAME, APP_ROLE).app


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parents[2] / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def reset_embedded_database() -> None:
    """Drop the embedded demo database (the next ``owner_url()`` recreates it empty)."""
    if database_settings().database_url or database_settings().migration_database_url:
        raise RuntimeError("--reset only applies to the embedded PostgreSQL")
    embedded.drop_database(embedded_admin_uri(), DB_NAME)
