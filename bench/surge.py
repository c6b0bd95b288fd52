"""Quarter-end surge: every national hospital submits one quarter through the HTTP API at once.

On the national data set (bench/common.py), 2023Q4 is moved aside, then every hospital's
hospital-system client POSTs all its indicators of the quarter in one request
(``/api/v1/hospitals/{id}/submissions/2023Q4``) over ``--concurrency`` keep-alive connections to
``--workers`` uvicorn worker processes, with real RS256 tokens from the development issuer verified
by the production code. It prints values/second and p50/p95/p99 latency, and compares with a raw
PostgreSQL COPY of the same rows into the same table (submission_values, in a rolled-back
transaction, same database). Afterwards the quarter's original rows are put back.

    .venv/bin/python bench/surge.py [--workers 3] [--concurrency 48] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import time

from api_server import api_environment, dev_issuer, uvicorn_workers
from common import ensure_national, libpq
from http_load import Request, run_load
from memory import Sampler, report
from surge_data import copy_baseline, move_aside, payloads, restore, stored_counts

from platform_api.auth.dev_directory import DevClient
from platform_api.auth.dev_tokens import client_access_claims
from services.core.quarter import Quarter

QUARTER = Quarter(2023, 4)


def mint_tokens(issuer, hospitals: list[tuple[int, str]]) -> dict[int, str]:  # noqa: ANN001
    """One hospital-system (client credentials) token per hospital, valid for an hour."""
    tokens = {}
    for hospital_id, province in hospitals:
        client = DevClient(
            client_id=f"his-{hospital_id}",
            secret="x",
            roles=("hospital_system",),
            province=province,
            hospital_id=hospital_id,
        )
        tokens[hospital_id] = issuer.sign(client_access_claims(issuer.issuer, client, lifetime=3600))
    return tokens


def _print_results(outcome, n_values: int, baseline: dict, workers: int, concurrency: int) -> None:  # noqa: ANN001
    from http_load import percentiles

    lat = percentiles(outcome.latencies)
    rate = n_values / outcome.seconds
    copy_rate = baseline["rows"] / baseline["values_s"]
    print(
        f"\nsurge {QUARTER}: {len(outcome.latencies)} requests ({n_values} values), {workers} uvicorn workers, "
        f"{concurrency} concurrent clients"
    )
    print(f"  statuses: {outcome.statuses}   load average now (1/5/15 min): {os.getloadavg()}")
    for error in outcome.errors:
        print(f"  error: {error}")
    print(f"  wall time:           {outcome.seconds:8.1f} s   (target < 60 s)")
    print(f"  requests/second:     {len(outcome.latencies) / outcome.seconds:8.1f}")
    print(f"  values/second (API): {rate:8.0f}")
    print(
        f"  latency ms:          p50 {lat['p50']:.0f}  p95 {lat['p95']:.0f}  p99 {lat['p99']:.0f}  "
        f"max {lat['max']:.0f}  (target p99 < 500)"
    )
    print(
        f"baseline, same rows, same tables, rolled back: COPY {baseline['rows']} submission_values in "
        f"{baseline['values_s']:.2f} s = {copy_rate:.0f} values/s (headers COPY {baseline['headers_s']:.2f} s)"
    )
    print(f"  ratio COPY / API values per second: {copy_rate / rate:.1f}×")


def _surge(urls, bodies: dict, tokens: dict, issuer, args) -> tuple:  # noqa: ANN001
    env = api_environment(urls.owner, urls.app, issuer)
    requests = [Request(f"/api/v1/hospitals/{h}/submissions/{QUARTER}", tokens[h], bodies[h]) for h in bodies]
    with uvicorn_workers("platform_api.asgi:app", args.workers, env) as (port, master):
        from common import postmaster_pid

        warm = [
            Request(f"/api/v1/hospitals/{h}/submissions/{QUARTER}?dry_run=true", tokens[h], bodies[h])
            for h in list(bodies)[: args.workers * 4]
        ]
        run_load("127.0.0.1", port, warm, args.workers * 2)  # JWKS fetch, first connections; writes nothing
        sampler = Sampler([master.pid] + ([pm] if (pm := postmaster_pid()) else []), 0.5)
        sampler.start()
        outcome = run_load("127.0.0.1", port, requests, args.concurrency)
        peaks = sampler.stop()
    return outcome, peaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=48, help="concurrent client connections")
    parser.add_argument("--limit", type=int, default=None, help="only the first N hospitals (a quick try)")
    parser.add_argument("--keep", action="store_true", help="keep what the surge wrote (do not restore)")
    args = parser.parse_args(argv)
    urls, _ = ensure_national(quiet=True)
    owner = libpq(urls.owner)
    import psycopg

    with psycopg.connect(owner) as conn:
        hospitals, bodies, _ = payloads(conn, QUARTER)
    hospitals = hospitals[: args.limit] if args.limit else hospitals
    bodies = {h: bodies[h] for h, _ in hospitals}
    n_values = sum(body.count(b'"indicator"') for body in bodies.values())
    print(f"{len(bodies)} hospitals, {n_values} values; moving {QUARTER} aside …")
    move_aside(owner, QUARTER)
    try:
        baseline = copy_baseline(owner, QUARTER, hospitals, bodies)
        with dev_issuer() as issuer:
            start = time.perf_counter()
            tokens = mint_tokens(issuer, hospitals)
            print(f"minted {len(tokens)} tokens in {time.perf_counter() - start:.1f} s (not timed)")
            outcome, peaks = _surge(urls, bodies, tokens, issuer, args)
        stored, values, statuses = stored_counts(owner, QUARTER)
        _print_results(outcome, n_values, baseline, args.workers, args.concurrency)
        print(f"stored after the surge: {stored} submissions {statuses}, {values} values")
        print("\npeak memory during the surge:")
        report(peaks)
    finally:
        if not args.keep:
            print("restoring the original quarter …")
            restore(owner, QUARTER)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
