"""A running platform for the documentation's examples: the app on uvicorn over the demo data, and the
development issuer serving the demo logins and hospital-system clients (``his-h001`` …), exactly what
``qcp demo`` serves. Examples get their tokens from the issuer with client credentials, like a HIS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

from platform_api.app import create_app
from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.cli.demo_users import DASHBOARD_SECRET, demo_directory
from platform_api.settings import ApiSettings
from services.core.db import Database
from tests.api_harness import ServerThread, free_port


@dataclass(frozen=True)
class RunningPlatform:
    base_url: str
    issuer_url: str  # .../realms/qcp
    hospitals: dict[str, int]
    centers: dict[str | None, int]


@contextmanager
def demo_platform(
    database: Database, hospitals: dict[str, int], centers: dict[str | None, int]
) -> Iterator[RunningPlatform]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    issuer = start_dev_issuer(demo_directory(hospitals, centers, api_base=base), host="127.0.0.1", port=0)
    settings = ApiSettings(
        environment="test",
        dev_issuer=True,
        dev_issuer_port=urlparse(issuer.base_url).port,
        api_port=port,
        dashboard_client_secret=DASHBOARD_SECRET,
        session_secret="docs-examples-session-secret-0123456789abcdef",
    )
    verifier = TokenVerifier(server_url=issuer.base_url, realm="qcp")
    app = create_app(database=database, settings=settings, verifier=verifier)
    server = ServerThread(app, port=port).start()
    try:
        yield RunningPlatform(base, f"{issuer.base_url.rstrip('/')}/realms/qcp", hospitals, centers)
    finally:
        server.stop()
        issuer.stop()
