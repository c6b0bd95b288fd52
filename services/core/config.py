"""Database settings shared by every adapter (API, dashboards, CLI, tests)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_ROLE = "qcp_app"


class DatabaseSettings(BaseSettings):
    """Where PostgreSQL is.

    With no URL set, QCP runs an embedded PostgreSQL whose data lives under ``QCP_DATA_DIR``.
    ``QCP_DATABASE_URL`` is what the application connects with: it must be a role that owns
    nothing and cannot bypass row-level security. ``QCP_MIGRATION_DATABASE_URL`` is the owner
    used by Alembic and catalog publishing.
    """

    model_config = SettingsConfigDict(env_prefix="QCP_", extra="ignore")

    database_url: str | None = None
    migration_database_url: str | None = None
    data_dir: Path = PROJECT_ROOT / ".qcp"
    # Connections each process keeps open. No overflow by default: a connection opened and closed per
    # request under load costs a PostgreSQL fork and log-in each time (1,422 backends in one surge),
    # and workers × (pool + overflow) must stay under PostgreSQL's max_connections (100 by default).
    # A request that finds every connection busy waits up to db_pool_timeout seconds.
    db_pool_size: int = Field(default=16, ge=1, le=200)
    db_max_overflow: int = Field(default=0, ge=0, le=200)
    db_pool_timeout: float = Field(default=30.0, gt=0, le=600)


@lru_cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()
