"""Data side of the surge bench: the quarter's payloads, moving the quarter aside, the COPY baseline.

The national data set already holds 2023Q4 (the demo's current quarter). The surge needs it empty,
so its rows are moved into ``bench_saved_*`` tables first and put back afterwards (ids kept), and a
crashed run is repaired on the next start. ``audit_log`` is append-only (triggers refuse deletes,
even for the owner): every surge leaves its 13,000 audit entries behind, as a real one would.
"""

from __future__ import annotations

import json
import time

import psycopg

from services.core.quarter import Quarter, quarter_range
from services.demo.national import _bind_national, _specs
from services.demo.national_values import hospital_arrays, quarter_values
from services.demo.values import FIRST

CHILDREN = ("submission_values", "submission_value_versions", "submission_events")


def payloads(
    conn: psycopg.Connection, quarter: Quarter
) -> tuple[list[tuple[int, str]], dict[int, bytes], int]:
    """(hospital id, province) of every national hospital, JSON bodies by hospital, number of values."""
    rows = conn.execute(
        "SELECT id, province_code, beds, type FROM hospitals WHERE substr(credit_code, 9, 2) = '48'"
        " ORDER BY id"
    ).fetchall()
    specs, _ = _specs(conn)
    t = quarter_range(FIRST, quarter).index(quarter)
    values = quarter_values(
        hospital_arrays([r[2] for r in rows], [r[3] for r in rows]), specs[quarter.year], quarter, t
    )
    lists = {code: (n.tolist(), d.tolist(), m.tolist()) for code, (n, d, m) in values.items()}
    bodies, total = {}, 0
    for i, (hospital_id, *_rest) in enumerate(rows):
        items = [
            {"indicator": code, "numerator": n[i], "denominator": d[i]}
            for code, (n, d, m) in lists.items()
            if m[i]
        ]
        total += len(items)
        bodies[hospital_id] = json.dumps({"values": items}, ensure_ascii=False).encode()
    return [(r[0], r[1]) for r in rows], bodies, total


def _saved_exists(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT to_regclass('bench_saved_submissions') IS NOT NULL").fetchone()[0]


def _delete_quarter(conn: psycopg.Connection, quarter: Quarter) -> None:
    """History tables are append-only (triggers refuse deletes, even for the owner): this scratch
    bench database lifts the triggers for the length of this transaction only (DDL is transactional)."""
    ids = "(SELECT id FROM submissions WHERE quarter = %s)"
    for table in CHILDREN:
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        conn.execute(f"DELETE FROM {table} WHERE submission_id IN {ids}", (str(quarter),))
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    conn.execute("DELETE FROM submissions WHERE quarter = %s", (str(quarter),))


def move_aside(owner: str, quarter: Quarter) -> None:
    """Save the quarter's rows into bench_saved_* and delete them (repairs a crashed run first)."""
    restore(owner, quarter)
    with psycopg.connect(owner) as conn:
        _bind_national(conn)
        conn.execute(
            "CREATE TABLE bench_saved_submissions AS SELECT * FROM submissions WHERE quarter = %s",
            (str(quarter),),
        )
        for table in CHILDREN:
            conn.execute(
                f"CREATE TABLE bench_saved_{table} AS SELECT t.* FROM {table} t "
                "JOIN bench_saved_submissions s ON s.id = t.submission_id"
            )
        _delete_quarter(conn, quarter)
    _vacuum(owner)


def restore(owner: str, quarter: Quarter) -> bool:
    """Put the saved quarter back (drops what the surge wrote). False when nothing was saved."""
    with psycopg.connect(owner) as conn:
        if not _saved_exists(conn):
            return False
        _bind_national(conn)
        _delete_quarter(conn, quarter)
        conn.execute("INSERT INTO submissions OVERRIDING SYSTEM VALUE SELECT * FROM bench_saved_submissions")
        for table in CHILDREN:
            conn.execute(f"INSERT INTO {table} OVERRIDING SYSTEM VALUE SELECT * FROM bench_saved_{table}")
            conn.execute(f"DROP TABLE bench_saved_{table}")
        conn.execute("DROP TABLE bench_saved_submissions")
    _vacuum(owner)
    return True


def _vacuum(owner: str) -> None:
    with psycopg.connect(owner, autocommit=True) as conn:
        for table in ("submissions", *CHILDREN):
            conn.execute(f"VACUUM ANALYZE {table}")


def copy_baseline(
    owner: str, quarter: Quarter, hospitals: list[tuple[int, str]], bodies: dict[int, bytes]
) -> dict:
    """COPY the same rows into the same tables in a transaction that is rolled back; seconds per step."""
    when = "2024-01-10 10:00:00+08"
    with psycopg.connect(owner) as conn:
        _bind_national(conn)
        indicator_ids = dict(conn.execute("SELECT code, id FROM indicators").fetchall())
        start = time.perf_counter()
        with conn.cursor().copy(
            "COPY submissions (province_code, hospital_id, quarter, catalog_year, status, version, "
            "first_submitted_at, submitted_at) FROM STDIN"
        ) as copy:
            copy.write(
                "".join(
                    f"{p}\t{h}\t{quarter}\t{quarter.year}\tsubmitted\t1\t{when}\t{when}\n"
                    for h, p in hospitals
                )
            )
        headers = conn.execute(
            "SELECT id, hospital_id, province_code FROM submissions WHERE quarter = %s", (str(quarter),)
        ).fetchall()
        lines = _value_lines(headers, bodies, indicator_ids, when)
        t_headers = time.perf_counter()
        with conn.cursor().copy(
            "COPY submission_values (submission_id, province_code, hospital_id, indicator_id, "
            "numerator, denominator, version, updated_at, updated_by) FROM STDIN"
        ) as copy:
            for start_at in range(0, len(lines), 50_000):
                copy.write("".join(lines[start_at : start_at + 50_000]))
        t_values = time.perf_counter()
        conn.rollback()
    return {"headers_s": t_headers - start, "values_s": t_values - t_headers, "rows": len(lines)}


def _value_lines(
    headers: list[tuple], bodies: dict[int, bytes], indicator_ids: dict[str, int], when: str
) -> list[str]:
    lines = []
    for submission_id, hospital_id, province in headers:
        for item in json.loads(bodies[hospital_id])["values"]:
            lines.append(
                f"{submission_id}\t{province}\t{hospital_id}\t{indicator_ids[item['indicator']]}\t"
                f"{item['numerator']}\t{item['denominator']}\t1\t{when}\tbench\n"
            )
    return lines


def stored_counts(owner: str, quarter: Quarter) -> tuple[int, int, dict[str, int]]:
    with psycopg.connect(owner) as conn:
        _bind_national(conn)
        subs = conn.execute(
            "SELECT status, count(*) FROM submissions WHERE quarter = %s GROUP BY status", (str(quarter),)
        ).fetchall()
        values = conn.execute(
            "SELECT count(*) FROM submission_values v JOIN submissions s ON s.id = v.submission_id "
            "WHERE s.quarter = %s",
            (str(quarter),),
        ).fetchone()[0]
    return sum(n for _, n in subs), values, dict(subs)
