"""Shared test support: the development issuer and the API, each served by uvicorn on loopback."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from platform_api.app import create_app
from platform_api.auth.dev_directory import DevClient, DevDirectory, DevUser
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings
from services.core.actor import Role
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


FIXTURE_PASSWORD = "qcp-demo"  # the auth tests' development issuer only


def fixture_directory(
    *,
    dashboard_redirect_uris: tuple[str, ...] = ("http://127.0.0.1:8000/*", "http://localhost:8000/*"),
    dashboard_secret: str = "qcp-dashboard-dev-secret",
) -> DevDirectory:
    """Accounts of the authentication tests (password ``qcp-demo``; ids need not exist in a database).

    The demo's real logins are in ``platform_api/cli/demo_users.py``.

    ============================  ====================  ========  ========  =========
    username                      role                  province  hospital  specialty
    ============================  ====================  ========  ========  =========
    nat-admin                     national_admin
    nat-analyst                   national_analyst
    zj-admin / gd-admin / sc-admin  provincial_admin    33/44/51
    zj-analyst                    provincial_analyst    330000
    zj-icu-qc                     specialty_qc          330000              icu
    nat-icu-qc                    specialty_qc                              icu
    zj-h1-submitter               hospital_submitter    330000    1
    zj-h1-viewer                  hospital_viewer       330000    1
    gd-h1-submitter               hospital_submitter    440000    101
    sc-h1-submitter               hospital_submitter    510000    201
    ============================  ====================  ========  ========  =========

    Clients: ``qcp-dashboard`` (confidential, PKCE S256) and ``hosp-330000-1`` (hospital system,
    secret ``hosp-330000-1-dev-secret``). Hospital ids are the demo data set's; callers with other
    data build their own :class:`DevDirectory`.
    """
    p = FIXTURE_PASSWORD
    users = [
        DevUser("nat-admin", p, "国家管理员 National Admin", (Role.NATIONAL_ADMIN,)),
        DevUser("nat-analyst", p, "国家分析员 National Analyst", (Role.NATIONAL_ANALYST,)),
        DevUser("zj-admin", p, "浙江省质控管理员", (Role.PROVINCIAL_ADMIN,), province="330000"),
        DevUser("gd-admin", p, "广东省质控管理员", (Role.PROVINCIAL_ADMIN,), province="440000"),
        DevUser("sc-admin", p, "四川省质控管理员", (Role.PROVINCIAL_ADMIN,), province="510000"),
        DevUser("zj-analyst", p, "浙江省分析员", (Role.PROVINCIAL_ANALYST,), province="330000"),
        DevUser("zj-icu-qc", p, "浙江省重症质控", (Role.SPECIALTY_QC,), province="330000", specialty="icu"),
        DevUser("nat-icu-qc", p, "国家重症质控", (Role.SPECIALTY_QC,), specialty="icu"),
        DevUser("zj-h1-submitter", p, "浙江医院1上报员", (Role.HOSPITAL_SUBMITTER,), "330000", 1),
        DevUser("zj-h1-viewer", p, "浙江医院1查看员", (Role.HOSPITAL_VIEWER,), "330000", 1),
        DevUser("gd-h1-submitter", p, "广东医院上报员", (Role.HOSPITAL_SUBMITTER,), "440000", 101),
        DevUser("sc-h1-submitter", p, "四川医院上报员", (Role.HOSPITAL_SUBMITTER,), "510000", 201),
    ]
    clients = [
        DevClient("qcp-dashboard", dashboard_secret, redirect_uris=dashboard_redirect_uris),
        DevClient("hosp-330000-1", "hosp-330000-1-dev-secret", (Role.HOSPITAL_SYSTEM,), "330000", 1),
    ]
    return DevDirectory(users=users, clients=clients)
