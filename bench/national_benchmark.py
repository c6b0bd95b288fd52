"""National benchmark timing: one quarter, 13,000 hospitals × every indicator of the catalog year.

Builds (or reuses) a synthetic data set in its own database on the test server (embedded
PostgreSQL, or QCP_TEST_DATABASE_URL), loaded with COPY, then times

  A. the full national benchmark of the quarter (``services.benchmark.benchmarks.benchmark`` with
     scope ``nation``: every indicator, every hospital's interval, funnel, rank, percentiles), and
  B. a plain SQL percentile aggregation (``percentile_cont`` P10/P25/P50/P75/P90 per indicator)
     over the same rows,

both as the restricted app role bound to a national analyst (row-level security on), and prints
the ratio A / B. A measurement, not a test:

    .venv/bin/python bench/national_benchmark.py [--hospitals 13000] [--repeat 3] [--rebuild]
    .venv/bin/python bench/national_benchmark.py --national   # on the national data set (bench/common.py)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.catalog.publish import DATA_DIR, publish_catalog  # noqa: E402
from services.core import embedded, runtime  # noqa: E402
from services.core.actor import Actor, Role  # noqa: E402
from services.core.config import APP_ROLE  # noqa: E402
from services.core.db import Database  # noqa: E402
from services.core.quarter import Quarter  # noqa: E402
from tests.db import admin_uri  # noqa: E402

DB_NAME = "qcp_bench_national"
QUARTER = Quarter(2023, 3)
LEVELS = [("三级", "综合"), ("三级", "专科"), ("二级", "综合"), ("二级", "中医"), ("一级", "综合")]

PLAIN_SQL = """
SELECT v.indicator_id,
       percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY v.numerator::float8 / v.denominator)
FROM submission_values v
JOIN submissions s ON s.id = v.submission_id AND s.province_code = v.province_code
WHERE s.quarter = :quarter AND s.status = 'approved' AND v.denominator > 0
GROUP BY v.indicator_id
"""


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _copy(conn: psycopg.Connection, statement: str, lines: list[str]) -> None:
    with conn.cursor().copy(statement) as copy:
        for start in range(0, len(lines), 50_000):
            copy.write("".join(lines[start : start + 50_000]))


def _hospitals(conn: psycopg.Connection, count: int, rng: np.random.Generator) -> list[tuple[int, str]]:
    provinces = [r[0] for r in conn.execute("SELECT code FROM provinces ORDER BY code")][:31]
    lines = []
    for i in range(count):
        p = provinces[i % len(provinces)]
        level, kind = LEVELS[i % len(LEVELS)]
        lines.append(
            f"{p}\t91{p[:2]}{i:014d}\t基准医院{i:05d}\t{level}\t甲等\t{kind}\t{p[:2]}0100\t{rng.integers(50, 2000)}\t"
            f"{QUARTER}\n"
        )
    _copy(
        conn,
        "COPY hospitals (province_code, credit_code, name, level, grade, type, prefecture_code, beds, "
        "reports_from) FROM STDIN",
        lines,
    )
    return conn.execute("SELECT id, province_code FROM hospitals ORDER BY id").fetchall()


def _values(kind: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = rng.poisson(300, size) + rng.integers(0, 3, size) * rng.poisson(5, size)
    if kind == "proportion":
        p = np.clip(rng.beta(8, 3, size), 0, 1)
        return rng.binomial(n, p), n
    if kind == "rate":
        n = n * 30
        return rng.poisson(n * 0.025), n
    return (n * rng.uniform(1, 6, size)).astype(np.int64), n


def build(owner_url: str, hospitals: int) -> None:
    engine = create_engine(owner_url)
    with Session(engine) as session:
        for year in (2022, 2023):
            publish_catalog(session, path_or_text=DATA_DIR / f"catalog-{year}.yaml", published_by="bench")
        session.commit()
    engine.dispose()
    rng = np.random.default_rng(2023)
    with psycopg.connect(libpq(owner_url)) as conn:
        rows = _hospitals(conn, hospitals, rng)
        when = "2023-10-10 00:00:00+08"
        _copy(
            conn,
            "COPY submissions (province_code, hospital_id, quarter, catalog_year, status, version, "
            "first_submitted_at, submitted_at) FROM STDIN",
            [f"{p}\t{h}\t{QUARTER}\t2023\tapproved\t1\t{when}\t{when}\n" for h, p in rows],
        )
        subs = conn.execute(
            "SELECT id, hospital_id, province_code FROM submissions ORDER BY hospital_id"
        ).fetchall()
        indicators = conn.execute("SELECT id, kind FROM indicators WHERE year = 2023 ORDER BY id").fetchall()
        lines = []
        for ind, kind in indicators:
            x, n = _values(kind, len(subs), rng)
            lines += [
                f"{s}\t{p}\t{h}\t{ind}\t{a}\t{b}\t1\tbench\n"
                for (s, h, p), a, b in zip(subs, x, n, strict=True)
            ]
        _copy(
            conn,
            "COPY submission_values (submission_id, province_code, hospital_id, indicator_id, numerator, "
            "denominator, version, updated_by) FROM STDIN",
            lines,
        )
        conn.commit()
        conn.execute("ANALYZE")
    print(f"built {hospitals} hospitals × {len(indicators)} indicators = {len(lines)} values")


def ensure_dataset(hospitals: int, rebuild: bool) -> embedded.ServerUrls:
    admin = admin_uri()
    if rebuild:
        embedded.drop_database(admin, DB_NAME)
    embedded.ensure_database(admin, DB_NAME)
    urls = embedded.server_urls(admin, DB_NAME, APP_ROLE)
    runtime.upgrade(urls.owner)
    with psycopg.connect(libpq(urls.owner)) as conn:
        have = conn.execute(
            "SELECT count(*) FROM submissions WHERE quarter = %s", (str(QUARTER),)
        ).fetchone()[0]
    if have == 0:
        build(urls.owner, hospitals)
    elif have != hospitals:
        print(f"reusing the existing data set ({have} hospitals; --rebuild to change)")
    return urls


def _timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(app_url: str, repeat: int) -> tuple[list[float], list[float], list[float], int]:
    """(computed, plain SQL, served from the per-process cache, values): the computed runs start with
    the benchmark cache (services/benchmark/cache.py) emptied, so they time the computation; the
    cached runs repeat the same call with the result kept (what a worker answers until the data change)."""
    from services.benchmark.benchmarks import benchmark
    from services.benchmark.cache import BENCHMARKS

    actor = Actor(subject="bench", roles=frozenset({Role.NATIONAL_ANALYST}))
    database = Database.from_url(app_url, pool_size=2)
    ours, plain, cached, units = [], [], [], 0
    for _ in range(repeat):
        with database.unit_of_work(actor) as session:
            report = None

            def run() -> None:
                nonlocal report
                report = benchmark(session, actor, quarter=QUARTER, scope="nation", with_labels=False)

            BENCHMARKS.clear()
            ours.append(_timed(run))
            units = sum(b.reporting for b in report.indicators)
            cached.append(_timed(run))
        with database.unit_of_work(actor) as session:
            plain.append(_timed(lambda: session.execute(text(PLAIN_SQL), {"quarter": str(QUARTER)}).all()))
    database.dispose()
    return ours, plain, cached, units


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hospitals", type=int, default=13_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--national",
        action="store_true",
        help="use the national data set of `qcp demo --scale national` on the bench server "
        "(8 quarters of history, realistic hospital mix) instead of the one-quarter set",
    )
    args = parser.parse_args(argv)
    if args.national:
        from common import ensure_national

        urls, _ = ensure_national(quiet=True)
    else:
        urls = ensure_dataset(args.hospitals, args.rebuild)
    ours, plain, cached, units = measure(urls.app, args.repeat)
    a, b = statistics.median(ours), statistics.median(plain)
    print(f"quarter {QUARTER}, {units} hospital × indicator values, median of {args.repeat} runs")
    print(f"  full national benchmark (services.benchmark):  {a:8.3f} s   runs {[round(t, 3) for t in ours]}")
    print(
        f"  plain SQL percentile_cont per indicator:       {b:8.3f} s   runs {[round(t, 3) for t in plain]}"
    )
    print(f"  ratio benchmark / plain SQL:                   {a / b:8.2f}")
    print(
        f"  the same call again, from the benchmark cache: {statistics.median(cached):8.3f} s"
        f"   runs {[round(t, 3) for t in cached]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
