"""A live platform for API tests: the real app on uvicorn, the development issuer, real tokens.

Tokens are signed by the development issuer's key and verified by the production
``TokenVerifier`` (which fetches the issuer's JWKS over HTTP), exactly as in the demo.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx
import uvicorn

from platform_api.app import create_app
from platform_api.auth.dev_directory import DevClient, DevDirectory, DevUser
from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings
from services.core.actor import Actor
from services.core.db import Database

_counter = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """uvicorn serving an ASGI app on 127.0.0.1 in a background thread."""

    def __init__(self, app, port: int | None = None) -> None:  # noqa: ANN001
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("API server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class LiveApi:
    base_url: str
    issuer: object  # DevIssuerHandle
    directory: DevDirectory
    clients: list[httpx.Client] = field(default_factory=list)

    def token_for(self, actor: Actor) -> str:
        """A real signed access token whose claims describe ``actor``."""
        username = f"t{next(_counter)}-{actor.subject}"[:60]
        self.directory.users.append(
            DevUser(
                username=username,
                password="x",
                name=actor.name or actor.subject,
                roles=tuple(str(r) for r in actor.roles),
                province=actor.province,
                hospital_id=actor.hospital_id,
                qc_center_id=actor.qc_center_id,
                specialty=actor.specialty,
            )
        )
        return self.issuer.user_token(username)

    def client_for(self, actor: Actor | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token_for(actor)}"} if actor else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self.clients.append(client)
        return client

    def anonymous(self) -> httpx.Client:
        return self.client_for(None)

    def close(self) -> None:
        for client in self.clients:
            client.close()


def start_live_api(database: Database) -> tuple[LiveApi, ServerThread]:
    directory = DevDirectory(users=[], clients=[DevClient(client_id="qcp-dashboard", secret="test-secret")])
    issuer = start_dev_issuer(directory, host="127.0.0.1", port=0, realm="qcp")
    settings = ApiSettings(
        environment="test", dev_issuer=True, dev_issuer_port=urlparse(issuer.base_url).port
    )
    verifier = TokenVerifier(server_url=issuer.base_url, realm="qcp")
    server = ServerThread(create_app(database=database, settings=settings, verifier=verifier)).start()
    return LiveApi(base_url=server.base_url, issuer=issuer, directory=directory), server
