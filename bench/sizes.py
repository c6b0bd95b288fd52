"""What one PostgreSQL holds at national scale: table and index sizes, rows, typical query times.

On the national data set (bench/common.py). Query times are medians of ``--repeat`` runs (a query that takes longer than 60 s is
cancelled and reported as timed out) through
the platform's own service functions as the restricted app role with row-level security on, each
next to a baseline measured in the same run: the plain SQL that reads the same rows.

    .venv/bin/python bench/sizes.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import psycopg
from common import ensure_national, libpq
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from services.core.actor import Actor, Role
from services.core.db import Database
from services.core.quarter import Quarter

Q = Quarter(2023, 3)
TABLES = (
    "hospitals",
    "submissions",
    "submission_values",
    "submission_value_versions",
    "submission_events",
    "indicator_applicability",
    "audit_log",
    "idempotency_keys",
)
SIZES_SQL = """
SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid)
FROM pg_class c WHERE c.relname = ANY(%s) ORDER BY pg_total_relation_size(c.oid) DESC
"""
TIMEOUT_S = 60  # a query planned badly must not hang the bench: it is reported as timed out
NATIONAL = Actor(subject="bench", roles=frozenset({Role.NATIONAL_ANALYST}))


def print_sizes(owner: str) -> None:
    mib = 1024 * 1024
    with psycopg.connect(owner) as conn:
        rows = conn.execute(SIZES_SQL, (list(TABLES),)).fetchall()
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    print(f"{'table':<28}{'rows':>12}{'heap MiB':>10}{'indexes MiB':>13}{'total MiB':>11}")
    for name, rows_, heap, indexes, whole in rows:
        print(f"{name:<28}{rows_:>12,}{heap / mib:>10.0f}{indexes / mib:>13.0f}{whole / mib:>11.0f}")
    print(f"database total: {total / mib:.0f} MiB")


def _median(fn, repeat: int) -> float:  # noqa: ANN001
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _cases(database: Database, hospital: tuple[int, str]) -> list[tuple[str, object, object]]:
    """(name, platform call, plain SQL over the same rows)."""
    from services.benchmark.benchmarks import benchmark
    from services.benchmark.rollups import rollup
    from services.submission.reads import get_submission, value_history

    hid, province = hospital
    own = Actor(subject="bench", roles=frozenset({Role.HOSPITAL_VIEWER}), province=province, hospital_id=hid)
    analyst = Actor(subject="bench", roles=frozenset({Role.PROVINCIAL_ANALYST}), province=province)

    def call(actor, fn, *settings: str):  # noqa: ANN001, ANN202
        def run() -> None:
            with database.unit_of_work(actor) as session:
                session.execute(text(f"SET LOCAL statement_timeout = '{TIMEOUT_S}s'"))
                for setting in settings:
                    session.execute(text(f"SET LOCAL {setting}"))
                fn(session, actor)

        return run

    def sql(actor, statement: str, **params):  # noqa: ANN001, ANN202
        return call(actor, lambda s, _a: s.execute(text(statement), params).all())

    values_of = (
        "SELECT v.* FROM submission_values v JOIN submissions s ON s.id = v.submission_id "
        "WHERE s.hospital_id = :h AND s.quarter = :q"
    )
    per_indicator = (
        "SELECT v.indicator_id, sum(v.numerator), sum(v.denominator), count(*) FROM submission_values v "
        "JOIN submissions s ON s.id = v.submission_id WHERE s.quarter = :q AND s.status = 'approved' "
        "{where} GROUP BY 1"
    )
    return [
        (
            "one hospital's quarter (GET submission)",
            call(own, lambda s, a: get_submission(s, a, hospital_id=hid, quarter=Q)),
            sql(own, values_of, h=hid, q=str(Q)),
        ),
        (
            "one hospital's value history",
            call(own, lambda s, a: value_history(s, a, hospital_id=hid, quarter=Q)),
            sql(own, values_of.replace("submission_values", "submission_value_versions"), h=hid, q=str(Q)),
        ),
        (
            f"province benchmark {province}, all indicators",
            call(
                analyst,
                lambda s, a: benchmark(s, a, quarter=Q, scope=f"province:{province}", with_labels=False),
            ),
            sql(analyst, per_indicator.format(where="AND s.province_code = :p"), q=str(Q), p=province),
        ),
        (
            "national rollup by province, one indicator",
            call(NATIONAL, lambda s, a: rollup(s, a, quarter=Q, indicator="NIT-2023-I.1")),
            sql(
                NATIONAL,
                per_indicator.format(
                    where="AND v.indicator_id = (SELECT id FROM indicators WHERE code = :c)"
                ),
                q=str(Q),
                c="NIT-2023-I.1",
            ),
        ),
        (
            "  same, enable_nestloop = off (diagnosis)",
            call(
                NATIONAL,
                lambda s, a: rollup(s, a, quarter=Q, indicator="NIT-2023-I.1"),
                "enable_nestloop = off",
            ),
            sql(
                NATIONAL,
                per_indicator.format(
                    where="AND v.indicator_id = (SELECT id FROM indicators WHERE code = :c)"
                ),
                q=str(Q),
                c="NIT-2023-I.1",
            ),
        ),
        (
            "national benchmark, all indicators",
            call(NATIONAL, lambda s, a: benchmark(s, a, quarter=Q, scope="nation", with_labels=False)),
            sql(NATIONAL, per_indicator.format(where=""), q=str(Q)),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"load average (1/5/15 min) at start: {os.getloadavg()}")
    urls, result = ensure_national(quiet=True)
    print_sizes(libpq(urls.owner))
    with psycopg.connect(libpq(urls.owner)) as conn:
        hospital = conn.execute(
            "SELECT id, province_code FROM hospitals WHERE id = %s", (result.hospitals["H001"],)
        ).fetchone()
    database = Database.from_url(urls.app, pool_size=2)
    print(f"\nquery times, quarter {Q}, median of {args.repeat} (restricted role, RLS on):")
    print(f"  {'':<46}{'platform ms':>12}{'plain SQL ms':>14}{'ratio':>8}")
    try:
        for name, platform, plain in _cases(database, hospital):
            plain()  # warm caches
            b = _median(plain, args.repeat)
            try:
                platform()
                a = _median(platform, args.repeat)
            except OperationalError:
                print(f"  {name:<46}{'> ' + str(TIMEOUT_S * 1000):>12}{b * 1000:>14.1f}   timed out")
                continue
            print(f"  {name:<46}{a * 1000:>12.1f}{b * 1000:>14.1f}{a / b:>8.1f}")
    finally:
        database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
