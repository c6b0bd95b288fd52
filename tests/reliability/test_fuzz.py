"""Schemathesis against the app's own OpenAPI (every operation the route table holds when the test
runs), authenticated as each role with real signed tokens: no 5xx, every response matches its
documented schema, and no response to a 330000 or hospital H001 caller carries marker data planted
in 440000, 510000 or another 330000 hospital.

Short variant (always on): a few derandomised examples per operation, role and generation mode.
Long variant (``QCP_LONG_TESTS=1``, marked slow): many random examples.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.reliability import fuzz_world
from tests.reliability.support import LONG, start_api, stop_api, write_artifact

# Short: 2 + 1 derandomised examples per operation, role and mode (~1,200 requests, every operation as
# every role); the long variant draws many random ones.
EXAMPLES = {GenerationMode.POSITIVE: 60 if LONG else 2, GenerationMode.NEGATIVE: 30 if LONG else 1}
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module")
def world():
    from services.core.db import Database
    from tests.db import demo_copy

    with demo_copy("qcp_fuzz") as (urls, hospitals, centers):
        h001 = hospitals["H001"]
        fuzz_world.plant_markers(urls.owner, h001, centers)
        database = Database.from_url(urls.app, pool_size=8, max_overflow=8)
        live, server = start_api(database)
        try:
            yield live, h001, fuzz_world.pools(urls.owner, h001)
        finally:
            stop_api(live, server)
            database.dispose()


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    operations: set[str] = field(default_factory=set)
    not_generated: list[str] = field(default_factory=list)


def _with_pools(case, draw_from: dict[str, list], choice: int):  # noqa: ANN001, ANN202
    """Point path parameters at real rows (and other tenants' rows) two times out of three."""
    if choice % 3 and case.path_parameters:
        for name, pool in draw_from.items():
            if name in case.path_parameters:
                case.path_parameters[name] = pool[choice % len(pool)]
    return case


def _exercise(case, caller: fuzz_world.Caller, base_url: str, http: requests.Session, tally: Tally) -> None:  # noqa: ANN001
    response = case.call(
        base_url=base_url, session=http, headers={"Authorization": f"Bearer {caller.token}"}, timeout=30
    )
    tally.requests += 1
    tally.statuses[response.status_code] += 1
    label = f"{caller.role} {case.operation.label}"
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, FailureGroup) as exc:  # collected, reported together below
        detail = " | ".join(str(e)[:700] for e in getattr(exc, "exceptions", [exc]))
        tally.failures.append(f"{label} → {response.status_code}: {detail}")
    leaked = {m for m in fuzz_world.markers_in(response.content) if m.startswith(caller.forbidden)}
    if caller.forbidden and leaked:
        tally.leaks.append(f"{label} {case.path_parameters} → {sorted(leaked)}")


def _fuzz_operation(operation, caller, base_url: str, pools: dict, tally: Tally, http) -> None:  # noqa: ANN001
    for mode, examples in EXAMPLES.items():
        try:
            strategy = operation.as_strategy(generation_mode=mode)
        except Exception as exc:  # noqa: BLE001 - e.g. no negative variant exists
            tally.not_generated.append(f"{operation.label} {mode}: {exc}"[:200])
            continue
        cases = st.tuples(strategy, st.integers(0, 1000)).map(lambda t: _with_pools(t[0], pools, t[1]))

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=not LONG,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases)
        def run(case) -> None:  # noqa: ANN001
            _exercise(case, caller, base_url, http, tally)

        try:
            run()
        except Unsatisfiable:  # e.g. nothing to make invalid in an operation without inputs
            tally.not_generated.append(f"{operation.label} {mode}: nothing to generate")


def _operations(base_url: str) -> list:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 20  # the whole route table, whatever routers are mounted
    return ops


def _fuzz_everything(live, h001: int, pools: fuzz_world.Pools) -> Tally:  # noqa: ANN001
    tally = Tally()
    operations = _operations(live.base_url)
    with requests.Session() as http:
        for caller in fuzz_world.callers(live, h001):
            for operation in operations:
                tally.operations.add(operation.label)
                _fuzz_operation(operation, caller, live.base_url, pools.as_dict(), tally, http)
    return tally


def _report(tally: Tally, seconds: float) -> None:
    write_artifact(
        "fuzz",
        {
            "requests": tally.requests,
            "operations": len(tally.operations),
            "roles": 8,
            "examples_per_operation_role_mode": {str(k): v for k, v in EXAMPLES.items()},
            "status_counts": {str(k): v for k, v in sorted(tally.statuses.items())},
            "server_errors": sum(v for k, v in tally.statuses.items() if k >= 500),
            "schema_failures": len(tally.failures),
            "leaks": len(tally.leaks),
            "seconds": round(seconds, 1),
            "failures": tally.failures[:50],
            "leak_details": tally.leaks[:50],
            "not_generated": tally.not_generated,
        },
    )


def _run_and_check(world) -> None:  # noqa: ANN001
    live, h001, pools = world
    started = time.monotonic()
    tally = _fuzz_everything(live, h001, pools)
    _report(tally, time.monotonic() - started)
    assert tally.leaks == [], "\n".join(tally.leaks[:20])
    assert tally.failures == [], "\n".join(tally.failures[:20])
    assert tally.statuses[200] > 0 and tally.requests > 500


@pytest.mark.skipif(LONG, reason="the long variant runs instead")
def test_fuzz_every_operation_as_every_role_short(world):
    _run_and_check(world)


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long variant: set QCP_LONG_TESTS=1")
def test_fuzz_every_operation_as_every_role_long(world):
    _run_and_check(world)
