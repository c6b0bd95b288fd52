"""Database settings shared by every adapter (API, dashboards, CLI, tests)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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


@lru_cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()
