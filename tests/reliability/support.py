"""Shared plumbing of the reliability tests: a live API with the middleware, artifacts, actors.

``start_api`` builds the real app (``create_app``), mounts the routers of the upload/FHIR,
benchmark and dashboard packages when ``create_app`` does not mount them yet, makes sure
``install_middleware`` ran, and serves it with uvicorn next to a development issuer, like
``tests/api_harness.start_live_api``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlparse

from fastapi import FastAPI

from platform_api.app import create_app
from platform_api.auth.dev_directory import DevClient, DevDirectory
from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.middleware import install_middleware
from platform_api.settings import ApiSettings
from services.core.actor import Actor, Role
from services.core.config import PROJECT_ROOT
from services.core.db import Database
from tests.api_harness import LiveApi, ServerThread

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "reliability"
LONG = os.environ.get("QCP_LONG_TESTS") == "1"


def write_artifact(name: str, data: dict) -> Path:
    """Figures of one test for docs/reliability.md (test-artifacts/reliability/<name>.json)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(
        json.dumps({**data, "long_variant": LONG}, ensure_ascii=False, indent=2, default=str) + "\n"
    )
    return path


def _paths(app: FastAPI) -> set[str]:
    return set(app.openapi().get("paths", {}))


def ensure_routers(app: FastAPI) -> None:
    """Mount the routers other packages provide when ``create_app`` does not do it (yet)."""
    paths = _paths(app)
    app.openapi_schema = None
    if not any(p.endswith("/upload") for p in paths):
        try:
            from platform_api.routers.io_routes import register_routers as io_routers
        except ImportError:
            io_routers = None
        if io_routers:
            io_routers(app)
    if not any("/benchmark" in p for p in paths):
        try:
            from platform_api.routers.benchmark_routes import register_routers as benchmark_routers
        except ImportError:
            benchmark_routers = None
        if benchmark_routers:
            benchmark_routers(app)
    app.openapi_schema = None


def ensure_dashboards(
    app: FastAPI, database: Database, settings: ApiSettings, verifier: TokenVerifier
) -> None:
    if getattr(app.state, "dashboards", None) is not None:
        return
    try:
        from dash_app.app import mount_dashboards
    except ImportError:
        return
    mount_dashboards(app, database=database, settings=settings, verifier=verifier)


def settings_for(issuer_port: int, **overrides) -> ApiSettings:
    return ApiSettings(environment="test", dev_issuer=True, dev_issuer_port=issuer_port, **overrides)


def build_app(
    database: Database, settings: ApiSettings, verifier: TokenVerifier, *, dashboards: bool = False
):
    app = create_app(database=database, settings=settings, verifier=verifier)
    ensure_routers(app)
    if dashboards:
        ensure_dashboards(app, database, settings, verifier)
    install_middleware(app, settings)  # idempotent: a no-op once create_app calls it
    return app


def start_api(database: Database, *, dashboards: bool = False, **overrides) -> tuple[LiveApi, ServerThread]:
    """The live API (uvicorn thread + development issuer) with ``ApiSettings`` ``overrides``."""
    directory = DevDirectory(users=[], clients=[DevClient(client_id="qcp-dashboard", secret="test-secret")])
    issuer = start_dev_issuer(directory, host="127.0.0.1", port=0, realm="qcp")
    settings = settings_for(urlparse(issuer.base_url).port, **overrides)
    verifier = TokenVerifier(server_url=issuer.base_url, realm="qcp")
    app = build_app(database, settings, verifier, dashboards=dashboards)
    server = ServerThread(app).start()
    return LiveApi(base_url=server.base_url, issuer=issuer, directory=directory), server


def stop_api(live: LiveApi, server: ServerThread) -> None:
    live.close()
    server.stop()
    live.issuer.stop()


def actor(
    role: Role,
    subject: str,
    province: str | None = None,
    hospital_id: int | None = None,
    specialty: str | None = None,
) -> Actor:
    return Actor(
        subject=subject,
        roles=frozenset({role}),
        province=province,
        hospital_id=hospital_id,
        specialty=specialty,
        name=subject,
    )
