"""One submission in-process: ``service.submit()`` of a hospital's whole 2023Q4 (≈ 62 values), no HTTP.

On the national data set (bench/common.py), 2023Q4 is moved aside (as bench/surge.py does), then
``--hospitals`` hospital-system actors each submit their quarter in their own unit of work (the
app role, RLS on, committed), one after another. Prints the median and p90 milliseconds per
submission and the SQL statements each sent (counted with a SQLAlchemy ``before_cursor_execute``
listener; the driver's BEGIN and COMMIT and the pool's pre-ping come on top, the same every time).
Afterwards the quarter's original rows are put back.

    .venv/bin/python bench/submit_inprocess.py [--hospitals 300] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import time
from collections import Counter

from common import ensure_national, libpq
from sqlalchemy import event
from surge_data import move_aside, payloads, restore

from services.core.actor import Actor, Role
from services.core.db import Database
from services.core.quarter import Quarter
from services.submission.schemas import ValueIn
from services.submission.service import submit

QUARTER = Quarter(2023, 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hospitals", type=int, default=300, help="how many hospitals submit")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the run")
    args = parser.parse_args(argv)
    urls, _ = ensure_national(quiet=True)
    owner = libpq(urls.owner)
    import psycopg

    with psycopg.connect(owner) as conn:
        hospitals, bodies, _ = payloads(conn, QUARTER)
    hospitals = hospitals[: args.hospitals]
    move_aside(owner, QUARTER)
    database = Database.from_url(urls.app)
    statements: list[int] = []
    kinds: Counter[str] = Counter()

    spent: Counter[str] = Counter()

    @event.listens_for(database.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements[-1] += 1
        kinds[" ".join(statement.split())[:60]] += 1
        conn.info["started"] = time.perf_counter()

    @event.listens_for(database.engine, "after_cursor_execute")
    def _time(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        spent[" ".join(statement.split())[:60]] += time.perf_counter() - conn.info.pop("started")

    profile = cProfile.Profile() if args.profile else None
    times: list[float] = []
    cpu: list[float] = []  # this process's CPU (Python, SQLAlchemy, psycopg): less noisy than wall time
    try:
        for hospital_id, province in hospitals:
            actor = Actor(
                subject=f"service-account-his-{hospital_id}",
                roles=frozenset({Role.HOSPITAL_SYSTEM}),
                province=province,
                hospital_id=hospital_id,
                client_id=f"his-{hospital_id}",
            )
            values = [ValueIn(**v) for v in json.loads(bodies[hospital_id])["values"]]
            statements.append(0)
            start, cpu_start = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            with database.unit_of_work(actor) as session:
                submit(session, actor, hospital_id=hospital_id, quarter=QUARTER, values=values, source="api")
            if profile:
                profile.disable()
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
    finally:
        database.dispose()
        restore(owner, QUARTER)
    warm = times[len(times) // 10 :]  # the first tenth warms caches and the pool
    warm_cpu = cpu[len(cpu) // 10 :]
    print(
        f"submit() of {QUARTER}, {len(times)} hospitals one after another, load average {os.getloadavg()}\n"
        f"  ms per submission: median {statistics.median(warm):.1f}  p90 {statistics.quantiles(warm, n=10)[-1]:.1f}"
        f"  (CPU of this process: median {statistics.median(warm_cpu):.1f})\n"
        f"  SQL statements per submission: {Counter(statements[1:])} (+ BEGIN, COMMIT, pool pre-ping)"
    )
    for text, n in kinds.most_common():
        print(f"  {n / len(statements):6.2f} × {spent[text] * 1000 / n:5.2f} ms  {text}")
    if profile:
        pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("TOP", "25"))
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
