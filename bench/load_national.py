"""Build the national data set on the bench server and time it (the generator's own figure).

    .venv/bin/python bench/load_national.py [--hospitals 13000] [--rebuild]

Drops and rebuilds the bench database with --rebuild (never the developer's demo database).
Run it under bench/memory.py to get the generator's and PostgreSQL's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time

from common import BENCH_DB, bench_admin_uri, ensure_national

from services.core import embedded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hospitals", type=int, default=13_000)
    parser.add_argument("--rebuild", action="store_true", help=f"drop the bench database {BENCH_DB} first")
    args = parser.parse_args(argv)
    if args.rebuild:
        embedded.drop_database(bench_admin_uri(), BENCH_DB)
    start = time.perf_counter()
    ensure_national(args.hospitals)
    print(f"total (migrations + catalogs + data + ANALYZE): {time.perf_counter() - start:.1f} s")
    print(f"generator peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
