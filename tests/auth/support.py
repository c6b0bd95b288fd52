"""Shared test support: the development issuer and the API, each served by uvicorn on loopback."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from platform_api.app import create_app
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings
from services.core.db import Database

# /api/v1/me needs no database; the engine connects lazily and is never used by these tests.
UNUSED_DATABASE_URL = "postgresql+psycopg://nobody@/qcp_unused"


@dataclass
class Served:
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket
    verifier: object = None

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def serve(app, host: str = "127.0.0.1") -> Served:  # noqa: ANN001
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    return Served(f"http://{host}:{sock.getsockname()[1]}", server, thread, sock)


def api_settings_for(server_url: str, **overrides) -> ApiSettings:
    return ApiSettings(environment="test", keycloak_url=server_url, **overrides)


def build_api(server_url: str, *, audience: str = "qcp-api", **verifier_options) -> tuple:
    """The real application, verifying tokens of ``server_url``'s realm ``qcp``."""
    settings = api_settings_for(server_url, api_audience=audience)
    verifier = TokenVerifier(server_url=server_url, realm="qcp", audiences=[audience], **verifier_options)
    app = create_app(database=Database.from_url(UNUSED_DATABASE_URL), settings=settings, verifier=verifier)
    return app, verifier
