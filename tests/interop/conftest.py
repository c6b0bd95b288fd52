"""The independent OpenID provider (npm ``oidc-provider``) as a pytest fixture."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PROVIDER_DIR = Path(__file__).with_name("oidc_provider")
AUDIENCE = "urn:qcp-api"
CLIENTS = [
    {
        "client_id": "hosp-440000-101",
        "client_secret": "interop-secret-440000-101-0123456789abcdef",
        "roles": ["hospital_system"],
        "province": "440000",
        "hospital_id": 101,
    },
    {
        "client_id": "hosp-510000-201",
        "client_secret": "interop-secret-510000-201-0123456789abcdef",
        "roles": ["hospital_system"],
        "province": "510000",
        "hospital_id": 201,
    },
]


@dataclass
class RunningProvider:
    base_url: str  # python-keycloak's server_url
    issuer: str
    clients: list[dict]
    process: subprocess.Popen


def _install() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    command = (
        ["npm", "ci", "--no-audit", "--no-fund"]
        if (PROVIDER_DIR / "package-lock.json").exists()
        else ["npm", "install", "--no-audit", "--no-fund"]
    )
    done = subprocess.run(command, cwd=PROVIDER_DIR, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"npm could not install oidc-provider:\n{done.stdout}\n{done.stderr}"


def _first_line(process: subprocess.Popen, timeout: float = 20) -> dict:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.2):
            line = process.stdout.readline()
            if line:
                return json.loads(line)
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"oidc-provider did not start: {process.stderr.read() if process.stderr else ''}")


@pytest.fixture(scope="module")
def oidc_provider():
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip(
            "需要 Node.js 与 npm / node and npm are required for the oidc-provider interoperability test"
        )
    _install()
    env = {
        **os.environ,
        "QCP_INTEROP_CONFIG": json.dumps({"realm": "qcp", "audience": AUDIENCE, "clients": CLIENTS}),
    }
    process = subprocess.Popen(
        ["node", "server.js"],
        cwd=PROVIDER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = _first_line(process)
        yield RunningProvider(f"http://127.0.0.1:{started['port']}/", started["issuer"], CLIENTS, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
