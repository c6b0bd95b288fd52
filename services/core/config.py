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


class NotificationSettings(BaseSettings):
    """Where notifications go out (docs/notifications.md, docs/configuration.md).

    With no ``QCP_SMTP_HOST`` e-mail is off: e-mail deliveries fail and end as dead letters, which a
    national admin can retry once it is set.
    """

    model_config = SettingsConfigDict(env_prefix="QCP_", extra="ignore")

    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False  # STARTTLS after connecting (port 587)
    smtp_ssl: bool = False  # implicit TLS (port 465)
    smtp_timeout: float = Field(default=15.0, gt=0, le=300)
    mail_from: str = "qcp@localhost"
    public_url: str = "http://127.0.0.1:8000"  # links in e-mails and webhook payloads
    # days before the due date on which hospitals that have not submitted are reminded
    reminder_days: list[int] = Field(default=[7, 1])
    webhook_timeout: float = Field(default=10.0, gt=0, le=120)
    # webhooks to loopback, private, link-local or single-label hosts (the stack's own services) are
    # refused unless this is on (development and tests only: it would let a tenant probe the network)
    webhook_allow_private: bool = False
    # attempts per delivery before it becomes a dead letter; waits between them grow as base ** attempt s
    delivery_max_attempts: int = Field(default=6, ge=1, le=20)
    delivery_backoff_base: int = Field(default=4, ge=2, le=60)


@lru_cache
def notification_settings() -> NotificationSettings:
    return NotificationSettings()
