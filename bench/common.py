"""Shared by the bench scripts: the bench PostgreSQL and the national data set on it.

The benchmarks run on their own embedded PostgreSQL data directory (``.qcp/pgdata-bench``,
database ``qcp_national``) so they never touch the developer's demo database. Set
``QCP_BENCH_DATABASE_URL`` (a superuser libpq URI, database ignored) to use another server.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.core import embedded, runtime  # noqa: E402
from services.core.config import APP_ROLE  # noqa: E402

BENCH_PGDATA = ROOT / ".qcp" / "pgdata-bench"
BENCH_DB = "qcp_national"


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def bench_admin_uri() -> str:
    url = os.environ.get("QCP_BENCH_DATABASE_URL")
    return libpq(url) if url else embedded.start_embedded(BENCH_PGDATA)


def bench_urls(database: str = BENCH_DB) -> embedded.ServerUrls:
    admin = bench_admin_uri()
    embedded.ensure_database(admin, database)
    return embedded.server_urls(admin, database, APP_ROLE)


def ensure_national(hospitals: int = 13_000, quiet: bool = False) -> tuple[embedded.ServerUrls, object]:
    """Migrate the bench database and load the national data set unless it is there.
    Returns the URLs and the loader's result (hospital ids of the demo logins, QC centers)."""
    from services.demo.national import NationalScale, load_national

    urls = bench_urls()
    runtime.upgrade(urls.owner)
    _statement_timeout(urls.owner)
    start = time.perf_counter()
    result = load_national(
        urls.owner, NationalScale(hospitals=hospitals), echo=(lambda *_: None) if quiet else print
    )
    if result.loaded:
        print(f"national data set built in {time.perf_counter() - start:.1f} s: {result.counts}")
    return urls, result


def _statement_timeout(owner: str) -> None:
    """Bench database only: a badly planned query fails after 60 s instead of hanging a run
    (docs/performance.md names the query that needs it)."""
    import psycopg

    with psycopg.connect(libpq(owner), autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {APP_ROLE} IN DATABASE {BENCH_DB} SET statement_timeout = '60s'")


def postmaster_pid() -> int | None:
    """PID of the bench server's postmaster (first line of postmaster.pid), when it runs here."""
    try:
        return int((BENCH_PGDATA / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
