"""Every pooled connection busy: a request waits QCP_DB_POOL_TIMEOUT, then answers 503 with
Retry-After and a message naming the setting (never 500), and is served again once a connection
is free. The pool does not open connections beyond QCP_DB_POOL_SIZE + QCP_DB_MAX_OVERFLOW."""

from __future__ import annotations

from urllib.parse import urlparse

from sqlalchemy import text

from platform_api.app import create_app
from platform_api.auth.dev_directory import DevClient, DevDirectory
from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings
from services.core.actor import Actor, Role
from services.core.db import Database
from tests.api_harness import LiveApi, ServerThread
from tests.db import fresh_database

ANALYST = Actor("zj-analyst", frozenset({Role.PROVINCIAL_ANALYST}), province="330000")


def test_busy_pool_answers_503_with_retry_after_then_recovers():
    with fresh_database("qcp_pool") as urls:
        database = Database.from_url(urls.app, pool_size=1, max_overflow=0, pool_timeout=0.3)
        directory = DevDirectory(users=[], clients=[DevClient(client_id="qcp-dashboard", secret="s")])
        issuer = start_dev_issuer(directory, realm="qcp")
        app = create_app(
            database=database,
            verifier=TokenVerifier(server_url=issuer.base_url, realm="qcp"),
            settings=ApiSettings(
                environment="test", dev_issuer=True, dev_issuer_port=urlparse(issuer.base_url).port
            ),
        )
        server = ServerThread(app).start()
        live = LiveApi(base_url=server.base_url, issuer=issuer, directory=directory)
        try:
            client = live.client_for(ANALYST)
            assert client.get("/api/v1/hospitals").status_code == 200
            with database.engine.connect() as held:  # the pool's only connection
                held.execute(text("SELECT 1"))
                busy = client.get("/api/v1/hospitals")
                assert database.engine.pool.checkedout() == 1  # no connection beyond the pool
            assert busy.status_code == 503, busy.text
            assert busy.json()["error"] == "database_busy" and "QCP_DB_POOL_SIZE" in busy.json()["detail"]
            assert busy.headers["Retry-After"] == "2"
            assert client.get("/api/v1/hospitals").status_code == 200
        finally:
            live.close()
            server.stop()
            issuer.stop()
            database.dispose()
