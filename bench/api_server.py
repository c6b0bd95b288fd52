"""The platform as it is deployed: uvicorn worker processes, plus the development issuer on loopback.

``python -m uvicorn <app> --workers N`` runs as a separate process tree with the production
settings path (``platform_api.settings`` from the environment): QCP_DATABASE_URL (restricted role)
and QCP_MIGRATION_DATABASE_URL of the bench database, QCP_ENVIRONMENT=development and
QCP_KEYCLOAK_URL pointing at the issuer this process runs. Rate limits are raised far above the
load (QCP_RATE_LIMIT_PER_MINUTE / _BURST): the bench measures capacity, not the limiter.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from common import ROOT

from platform_api.auth.dev_directory import DevDirectory
from platform_api.auth.dev_issuer import DevIssuerHandle, start_dev_issuer

BENCH_RATE_LIMIT = "100000000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_environment(owner_url: str, app_url: str, issuer: DevIssuerHandle, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "QCP_DATABASE_URL": app_url,
            "QCP_MIGRATION_DATABASE_URL": owner_url,
            "QCP_ENVIRONMENT": "development",
            "QCP_KEYCLOAK_URL": issuer.base_url,
            "QCP_KEYCLOAK_REALM": issuer.realm,
            "QCP_RATE_LIMIT_PER_MINUTE": BENCH_RATE_LIMIT,
            "QCP_RATE_LIMIT_BURST": BENCH_RATE_LIMIT,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}",
        }
    )
    env.update(extra or {})
    return env


def _wait_healthy(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the API did not become healthy")


@contextmanager
def uvicorn_workers(
    app: str, workers: int, env: dict, port: int | None = None
) -> Iterator[tuple[int, subprocess.Popen]]:
    """Run ``python -m uvicorn app --workers N`` on 127.0.0.1; yields (port, the master process)."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--loop",
        "uvloop",  # as `qcp serve` (platform_api.cli.serve.LOOP / HTTP)
        "--http",
        "httptools",
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        _wait_healthy(port, process)
        yield port, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the master and its workers: our own process group
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def dev_issuer(directory: DevDirectory | None = None) -> Iterator[DevIssuerHandle]:
    issuer = start_dev_issuer(directory or DevDirectory(users=[], clients=[]), host="127.0.0.1", port=0)
    try:
        yield issuer
    finally:
        issuer.stop()
