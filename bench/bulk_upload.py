"""Provincial bulk upload of a whole quarter in one file, against raw COPY of the same rows.

Builds a scratch database (dropped at the end): migrated, the shipped catalogs published,
``--hospitals`` hospitals in one province (330000), their 2023Q3 already stored (a quarter end is
never the first quarter) and an open window for 2023Q4. Writes one CSV
with a hospital column (credit codes) and every 2023 indicator per hospital (61 values each at the
default 13,000 hospitals: 793,000 values, the national quarter), then in the same run:

* **baseline**: raw COPY of the same rows into ``submissions`` and ``submission_values`` as the
  owner (into 2023Q2, after the upload), in a transaction that is rolled back (as bench/surge.py);
* **bulk**: ``services.submission.bulk.run_job`` as the restricted app role with a provincial QC
  admin's scope: COPY into the staging table, every check, headers, values, versions, events, audit.

It prints both times, the ratio, the time of each phase (and of each statement), the peak memory of
this process and the load average, and the CPU seconds of both (server backends read from /proc when
the server runs on this machine, plus this process): on a shared machine the CPU ratio moves less
than the wall-time ratio. The server is ``QCP_BENCH_DATABASE_URL`` (a superuser libpq URI) or the bench's
embedded PostgreSQL (bench/common.py).

    .venv/bin/python bench/bulk_upload.py [--hospitals 13000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta

import psycopg
from common import bench_admin_uri, libpq
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.core import embedded, runtime
from services.core.actor import Actor, Role
from services.core.config import APP_ROLE
from services.core.db import Database
from services.core.quarter import Quarter
from services.submission import bulk

PROVINCE, QUARTER = "330000", Quarter(2023, 4)
DATABASE = "qcp_bulk_bench"
RULES = {  # cross-indicator rules of the 2023 catalog: keep the generated values consistent
    "NIT-2023-IV.1": (1, 500),
    "NIT-2023-IV.2": (2, 500),
    "NIT-2023-IV.3": (3, 500),
    "NIT-2023-VIII.1": (1, 500),
    "NIT-2023-VIII.2": (2, 500),
}


def _prepare(admin: str, hospitals: int) -> embedded.ServerUrls:
    embedded.drop_database(admin, DATABASE)
    embedded.ensure_database(admin, DATABASE)
    urls = embedded.server_urls(admin, DATABASE, APP_ROLE)
    runtime.upgrade(urls.owner)
    from services.catalog.publish import load_builtin_catalogs

    engine = create_engine(urls.owner)
    with Session(bind=engine) as session:
        session.info["raw"] = True
        load_builtin_catalogs(session, published_by="bench")
        session.commit()
    engine.dispose()
    with psycopg.connect(libpq(urls.owner)) as conn:
        with conn.cursor().copy(
            "COPY hospitals (province_code, credit_code, name, level, grade, type, prefecture_code, beds,"
            " reports_from) FROM STDIN"
        ) as copy:
            for i in range(hospitals):
                copy.write_row(
                    (PROVINCE, f"B{i:017d}", f"医院{i}", "二级", "甲等", "综合", "330100", 300, "2000Q1")
                )
        now = datetime.now(UTC)
        conn.execute(
            "INSERT INTO submission_windows (province_code, quarter, opens_at, due_at, locks_at, set_by)"
            " VALUES (%s, %s, %s, %s, %s, 'bench')",
            (
                PROVINCE,
                str(QUARTER),
                now - timedelta(days=1),
                now + timedelta(days=30),
                now + timedelta(days=45),
            ),
        )
        _previous_quarter(conn)
        conn.execute("ANALYZE")
    return urls


def _previous_quarter(conn: psycopg.Connection) -> None:
    """The quarter before, stored for every hospital: at a real quarter end the tables are not empty
    (on empty tables PostgreSQL's plans for the foreign-key checks scan instead of using the index)."""
    before = QUARTER.previous()
    conn.execute(
        "INSERT INTO submissions (province_code, hospital_id, quarter, catalog_year, status, version,"
        " first_submitted_at, submitted_at) SELECT province_code, id, %s, %s, 'submitted', 1, now(), now()"
        " FROM hospitals",
        (str(before), before.year),
    )
    conn.execute("ANALYZE submissions")
    conn.execute(
        "INSERT INTO submission_values (submission_id, province_code, hospital_id, indicator_id, numerator,"
        " denominator, version, updated_at, updated_by) SELECT s.id, s.province_code, s.hospital_id, i.id, 1, 10,"
        " 1, now(), 'bench' FROM submissions s CROSS JOIN indicators i WHERE s.quarter = %s AND i.year = %s"
        " AND i.withdrawn_revision IS NULL",
        (str(before), before.year),
    )


def _indicators(owner: str) -> list[tuple[int, str]]:
    with psycopg.connect(libpq(owner)) as conn:
        return conn.execute(
            "SELECT id, code FROM indicators WHERE year = %s AND withdrawn_revision IS NULL ORDER BY code",
            (QUARTER.year,),
        ).fetchall()


def _counts(code: str, h: int) -> tuple[int, int]:
    if code in RULES:
        return RULES[code]
    den = 50 + (h * 7919 + len(code)) % 950
    return den // 3, den


def _write_file(path: str, hospitals: list[tuple[int, str]], indicators: list[tuple[int, str]]) -> int:
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("统一社会信用代码,季度,指标编码,分子,分母,备注\n")
        for h, credit in hospitals:
            lines = []
            for _id, code in indicators:
                num, den = _counts(code, h)
                lines.append(f"{credit},{QUARTER},{code},{num},{den},\n")
            out.write("".join(lines))
            rows += len(lines)
    return rows


def _cpu_seconds(pids: list[int]) -> dict[int, float] | None:
    """CPU time (user + system) of server backends by pid, from /proc: the server must run on this
    machine (the bench's embedded server, or 127.0.0.1); None when it cannot be read."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _wal_lsn(owner: str) -> str:
    with psycopg.connect(libpq(owner)) as conn:
        return str(conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0])  # type: ignore[index]


def _wal_mib(owner: str, since: str) -> float:
    """WAL written on the server since ``since`` (every session's: the bench's own are the busy ones)."""
    with psycopg.connect(libpq(owner)) as conn:
        row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", (since,)).fetchone()
    return float(row[0]) / 2**20 if row else float("nan")


def _app_backends(owner: str) -> list[int]:
    with psycopg.connect(libpq(owner)) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND usename = %s", (DATABASE, APP_ROLE)
        ).fetchall()
    return [pid for (pid,) in rows]


def _baseline(
    owner: str, hospitals: list[tuple[int, str]], indicators: list[tuple[int, str]]
) -> dict[str, float]:
    """Runs after the upload, into the quarter two before (the upload's quarter is taken): same rows."""
    quarter = QUARTER.previous().previous()
    when = datetime.now(UTC).isoformat()
    wal_before = _wal_lsn(owner)
    with psycopg.connect(libpq(owner)) as conn:
        pid = conn.info.backend_pid
        cpu_before, client_before = _cpu_seconds([pid]), time.process_time()
        start = time.perf_counter()
        with conn.cursor().copy(
            "COPY submissions (province_code, hospital_id, quarter, catalog_year, status, version,"
            " first_submitted_at, submitted_at) FROM STDIN"
        ) as copy:
            copy.write(
                "".join(
                    f"{PROVINCE}\t{h}\t{quarter}\t{quarter.year}\tsubmitted\t1\t{when}\t{when}\n"
                    for h, _ in hospitals
                )
            )
        headers = dict(
            conn.execute(
                "SELECT hospital_id, id FROM submissions WHERE quarter = %s", (str(quarter),)
            ).fetchall()
        )
        lines = [
            f"{headers[h]}\t{PROVINCE}\t{h}\t{i}\t{_counts(code, h)[0]}\t{_counts(code, h)[1]}\t1\t{when}\tbench\n"
            for h, _ in hospitals
            for i, code in indicators
        ]
        t_headers = time.perf_counter()
        with conn.cursor().copy(
            "COPY submission_values (submission_id, province_code, hospital_id, indicator_id, numerator,"
            " denominator, version, updated_at, updated_by) FROM STDIN"
        ) as copy:
            for at in range(0, len(lines), 50_000):
                copy.write("".join(lines[at : at + 50_000]))
        t_values = time.perf_counter()
        cpu_after, client = _cpu_seconds([pid]), time.process_time() - client_before
        wal = _wal_mib(owner, wal_before)
        conn.rollback()
    server = cpu_after[pid] - cpu_before[pid] if cpu_before and cpu_after else float("nan")
    return {
        "headers_s": t_headers - start,
        "values_s": t_values - t_headers,
        "rows": len(lines),
        "server_cpu_s": server,
        "client_cpu_s": client,
        "wal_mib": wal,
    }


class _Timed(bulk._Tracker):
    """The job tracker, also noting when each phase starts (for the breakdown)."""

    marks: list[tuple[str, float]] = []

    def update(self, **fields: object) -> None:
        if "phase" in fields:
            self.marks.append((str(fields["phase"]), time.perf_counter()))
        super().update(**fields)


def _bulk(app: str, owner: str, path: str) -> tuple[float, bulk.BulkUploadRead, float, float, float]:
    """(seconds, job, server CPU seconds, client CPU seconds, WAL MiB) of the upload."""
    # a pool that keeps every connection the job opens (job, its lock, its tracker): their CPU is read
    # from /proc before the pool closes them
    database = Database.from_url(app, pool_size=4, max_overflow=0)
    actor = Actor(subject="bench-admin", roles=frozenset({Role.PROVINCIAL_ADMIN}), province=PROVINCE)
    options = bulk.BulkOptions(kind="csv", quarter=QUARTER)
    with database.unit_of_work(actor) as session:
        job_id = bulk.create_job(session, actor, options=options, bytes_total=os.path.getsize(path))
    bulk._Tracker = _Timed  # type: ignore[misc]  # the bench's tracker, to time the phases
    cpu_before, client_before = _cpu_seconds(_app_backends(owner)) or {}, time.process_time()
    wal_before = _wal_lsn(owner)
    start = time.perf_counter()
    _Timed.marks.append(("reading", start))
    job = bulk.run_job(database, actor, job_id=job_id, options=options, path=path)
    seconds = time.perf_counter() - start
    client = time.process_time() - client_before
    _Timed.marks.append(("end", start + seconds))
    cpu_after, wal = _cpu_seconds(_app_backends(owner)), _wal_mib(owner, wal_before)
    server = (
        sum(cpu - cpu_before.get(pid, 0.0) for pid, cpu in cpu_after.items()) if cpu_after else float("nan")
    )
    database.dispose()
    return seconds, job, server, client, wal


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="  %(message)s")
    logging.getLogger("services.submission.bulk_write").setLevel(logging.INFO)
    logging.getLogger("services.submission.bulk_checks").setLevel(logging.INFO)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hospitals", type=int, default=13_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    print(f"load average at start (1/5/15 min): {os.getloadavg()}")
    admin = bench_admin_uri()
    urls = _prepare(admin, args.hospitals)
    try:
        with psycopg.connect(libpq(urls.owner)) as conn:
            hospitals = conn.execute("SELECT id, credit_code FROM hospitals ORDER BY id").fetchall()
        indicators = _indicators(urls.owner)
        fd, path = tempfile.mkstemp(prefix="qcp-bulk-bench-", suffix=".csv")
        os.close(fd)
        rows = _write_file(path, hospitals, indicators)
        size = os.path.getsize(path)
        print(
            f"file: {rows} values, {len(hospitals)} hospitals × {len(indicators)} indicators, {size / 2**20:.1f} MiB"
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        seconds, job, server_cpu, client_cpu, wal = _bulk(urls.app, urls.owner, path)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        baseline = _baseline(urls.owner, hospitals, indicators)  # into the quarter before (same rows)
        copy_s = baseline["headers_s"] + baseline["values_s"]
        print(
            f"job {job.id}: {job.status}, {job.problem_count} problems, result { ({k: v for k, v in (job.result or {}).items() if k != 'per_hospital'}) }"
        )
        if job.problems:
            print(f"  first problem: {job.problems[0]}")
        print(
            f"baseline, same rows, same run, rolled back: COPY headers {baseline['headers_s']:.2f} s + values {baseline['values_s']:.2f} s = {copy_s:.2f} s"
        )
        print(
            f"bulk upload (stage + check + write, app role, RLS on): {seconds:.2f} s = {rows / seconds:.0f} values/s"
        )
        marks = _Timed.marks
        print(
            "  phases: "
            + ", ".join(f"{a} {t2 - t1:.2f} s" for (a, t1), (_b, t2) in zip(marks, marks[1:], strict=False))
        )
        print(f"ratio bulk / raw COPY: {seconds / copy_s:.2f}×")
        base_cpu = baseline["server_cpu_s"] + baseline["client_cpu_s"]
        print(
            f"CPU seconds (server backends + this process; steadier than wall time on a shared machine):"
            f" bulk {server_cpu:.2f} + {client_cpu:.2f} = {server_cpu + client_cpu:.2f} s,"
            f" raw COPY {baseline['server_cpu_s']:.2f} + {baseline['client_cpu_s']:.2f} = {base_cpu:.2f} s,"
            f" ratio {(server_cpu + client_cpu) / base_cpu:.2f}×"
        )
        print(
            f"WAL written: bulk {wal:.0f} MiB (committed), raw COPY {baseline['wal_mib']:.0f} MiB (rolled back)"
        )
        print(
            f"peak RSS of this process: {rss_before / 1024:.0f} MiB before the upload, {rss_after / 1024:.0f} MiB after"
        )
        print(f"load average at end (1/5/15 min): {os.getloadavg()}")
    finally:
        if not args.keep:
            embedded.drop_database(admin, DATABASE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
