"""Partitioning of submission history by year, shown on a scratch copy of the national data set.

Creates ``bench_svv_by_year``: submission_value_versions plus the submission's ``catalog_year``,
PARTITION BY RANGE (catalog_year) with one partition per year (and an empty next year), copies the
history into it, and times against the unpartitioned table in the same run:

  1. one hospital-quarter's history (the correction screen),
  2. a whole year's history aggregated (an audit / export of one year),
  3. retiring the oldest year: DELETE (unpartitioned) vs DETACH PARTITION, both rolled back,

and prints EXPLAIN evidence of partition pruning. Run as the owner; the scratch table is dropped
at the end unless --keep. Nothing in the platform's schema changes.

    .venv/bin/python bench/partition_history.py [--repeat 5] [--keep]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import psycopg
from common import ensure_national, libpq

PARENT = "bench_svv_by_year"
CREATE = f"""
CREATE TABLE {PARENT} (LIKE submission_value_versions INCLUDING DEFAULTS, catalog_year integer NOT NULL)
PARTITION BY RANGE (catalog_year);
CREATE TABLE {PARENT}_2022 PARTITION OF {PARENT} FOR VALUES FROM (2022) TO (2023);
CREATE TABLE {PARENT}_2023 PARTITION OF {PARENT} FOR VALUES FROM (2023) TO (2024);
CREATE TABLE {PARENT}_2024 PARTITION OF {PARENT} FOR VALUES FROM (2024) TO (2025);
"""
KEYS = f"""
ALTER TABLE {PARENT} ADD PRIMARY KEY (id, catalog_year);
ALTER TABLE {PARENT} ADD UNIQUE (submission_id, indicator_id, version, catalog_year);
CREATE INDEX ON {PARENT} (province_code);
"""
HISTORY = {
    "unpartitioned": "SELECT * FROM submission_value_versions WHERE submission_id = %(s)s ORDER BY indicator_id, version",
    "by year": f"SELECT * FROM {PARENT} WHERE submission_id = %(s)s AND catalog_year = %(y)s "
    "ORDER BY indicator_id, version",
}
YEAR = {
    "unpartitioned": "SELECT v.province_code, count(*), sum(v.numerator) FROM submission_value_versions v "
    "JOIN submissions s ON s.id = v.submission_id WHERE s.catalog_year = %(y)s GROUP BY 1",
    "by year": f"SELECT province_code, count(*), sum(numerator) FROM {PARENT} WHERE catalog_year = %(y)s GROUP BY 1",
}


def build(conn: psycopg.Connection) -> float:
    conn.execute(f"DROP TABLE IF EXISTS {PARENT}")
    start = time.perf_counter()
    conn.execute(CREATE)
    conn.execute(
        f"INSERT INTO {PARENT} SELECT v.*, s.catalog_year FROM submission_value_versions v "
        "JOIN submissions s ON s.id = v.submission_id"
    )
    conn.execute(KEYS)
    conn.commit()
    conn.execute(f"ANALYZE {PARENT}")
    conn.commit()
    return time.perf_counter() - start


def _median(conn: psycopg.Connection, sql: str, params: dict, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        conn.execute(sql, params).fetchall()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _retire(conn: psycopg.Connection) -> tuple[float, float]:
    """Seconds to DELETE 2022 from the unpartitioned table vs DETACH its partition (both rolled back)."""
    start = time.perf_counter()
    conn.execute(
        "ALTER TABLE submission_value_versions DISABLE TRIGGER USER"
    )  # append-only; rolled back below
    conn.execute(
        "DELETE FROM submission_value_versions v USING submissions s WHERE s.id = v.submission_id "
        "AND s.catalog_year = 2022"
    )
    deleted = time.perf_counter() - start
    conn.rollback()
    start = time.perf_counter()
    conn.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {PARENT}_2022")
    detached = time.perf_counter() - start
    conn.rollback()
    return deleted, detached


def report(conn: psycopg.Connection, repeat: int) -> None:
    sub = conn.execute(
        "SELECT id, catalog_year FROM submissions WHERE quarter = '2023Q3' ORDER BY id LIMIT 1"
    ).fetchone()
    params = {"s": sub[0], "y": sub[1]}
    for title, queries, args in (
        ("one hospital-quarter's history", HISTORY, params),
        ("a year's history by province (2022)", YEAR, {"y": 2022}),
    ):
        a, b = (_median(conn, queries[k], args, repeat) for k in ("unpartitioned", "by year"))
        print(
            f"  {title:<40} unpartitioned {a * 1000:8.1f} ms   by year {b * 1000:8.1f} ms   ratio {a / b:5.2f}"
        )
    deleted, detached = _retire(conn)
    print(
        f"  {'retire 2022 (rolled back)':<40} DELETE        {deleted * 1000:8.0f} ms   DETACH  {detached * 1000:8.1f} ms"
    )
    plan = conn.execute("EXPLAIN (COSTS OFF) " + YEAR["by year"], {"y": 2022}).fetchall()
    print("  pruning, EXPLAIN of the year query:\n    " + "\n    ".join(r[0] for r in plan))
    sizes = conn.execute(
        "SELECT c.relname, pg_total_relation_size(c.oid) / 1048576 FROM pg_class c "
        "WHERE c.relname LIKE %s AND c.relkind = 'r' ORDER BY 1",
        (f"{PARENT}_%",),
    ).fetchall()
    print(
        "  partitions (MiB incl. indexes): "
        + ", ".join(f"{n.removeprefix(PARENT + '_')}: {m}" for n, m in sizes)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help=f"keep the scratch table {PARENT}")
    args = parser.parse_args(argv)
    print(f"load average (1/5/15 min) at start: {os.getloadavg()}")
    urls, _ = ensure_national(quiet=True)
    with psycopg.connect(libpq(urls.owner)) as conn:
        seconds = build(conn)
        print(f"partitioned copy of submission_value_versions built in {seconds:.1f} s")
        try:
            report(conn, args.repeat)
        finally:
            if not args.keep:
                conn.rollback()
                conn.execute(f"DROP TABLE IF EXISTS {PARENT}")
                conn.commit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
