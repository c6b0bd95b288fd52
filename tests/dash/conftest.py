"""A live platform with dashboards on the demo data: API + /dash/ on uvicorn, the development issuer
with the demo logins, a database of its own holding the demo data (``tests.db.demo_copy`` of ``load_demo``) (catalogs, registry, quarterly values).

Browser tests drive it with headless Chromium (Debian's /usr/bin/chromium through playwright).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.cli.demo_users import DASHBOARD_SECRET, DEMO_PASSWORD, demo_directory
from platform_api.settings import ApiSettings
from services.core.db import Database
from tests.api_harness import ServerThread, free_port
from tests.db import demo_copy

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Workers share the cookie-signing key (QCP_SESSION_SECRET) as they share the session table.
SESSION_SECRET = "test-dashboard-session-secret-0123456789abcdef"


@dataclass
class LiveDash:
    base_url: str
    issuer: object
    database: Database
    hospitals: dict[str, int]
    dash: object
    password: str = DEMO_PASSWORD

    @property
    def dash_url(self) -> str:
        return f"{self.base_url}/dash/"


@pytest.fixture(scope="session")
def demo_db() -> Iterator[tuple]:
    with demo_copy("qcp_dash") as (urls, hospitals, centers):
        database = Database.from_url(urls.app, pool_size=5, max_overflow=10)
        yield urls, database, hospitals, centers
        database.dispose()


def build_platform(database: Database, port: int, issuer_base: str):  # noqa: ANN201
    from platform_api.app import create_app

    settings = ApiSettings(
        environment="test",
        dev_issuer=True,
        dev_issuer_port=urlparse(issuer_base).port,
        api_port=port,
        dashboard_client_secret=DASHBOARD_SECRET,
        session_secret=SESSION_SECRET,
    )
    verifier = TokenVerifier(server_url=issuer_base, realm="qcp")
    return create_app(database=database, settings=settings, verifier=verifier)  # mounts the dashboards


@pytest.fixture(scope="session")
def live_dash(demo_db) -> Iterator[LiveDash]:  # noqa: ANN001
    _, database, hospitals, centers = demo_db
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    issuer = start_dev_issuer(demo_directory(hospitals, centers, api_base=base), host="127.0.0.1", port=0)
    app = build_platform(database, port, issuer.base_url)
    server = ServerThread(app, port=port).start()
    yield LiveDash(base, issuer, database, hospitals, app.state.dashboards)
    server.stop()
    issuer.stop()


@pytest.fixture(scope="session")
def second_worker(live_dash) -> Iterator[str]:  # noqa: ANN001
    """Another app instance on the same database, like a second uvicorn worker; its base URL."""
    port = free_port()
    app = build_platform(live_dash.database, port, live_dash.issuer.base_url)
    server = ServerThread(app, port=port).start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def browser_skip_reason() -> str | None:
    if os.environ.get("QCP_SKIP_BROWSER_TESTS") == "1":
        return "QCP_SKIP_BROWSER_TESTS=1"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is absent: apt-get install -y chromium (./dev test does it)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


# Package scope: Playwright's sync API keeps an event loop running in the main thread while it is open,
# so it must be closed when tests/dash ends, before suites that call asyncio.run() (notifications, rate
# limits) or start a Playwright of their own (tests/docs).
@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def screenshot(tab, name: str, *, full_page: bool = True) -> Path:  # noqa: ANN001
    """Save ``name``.png; ``full_page=False`` keeps exactly the 1366×768 viewport (README images)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=full_page)
    return path


DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def docs_screenshot(tab, name: str) -> Path:  # noqa: ANN001
    """One 1366×768 screen of ``name``; with QCP_DOC_SCREENSHOTS=1 also written to docs/img/ (the
    images of docs/dashboards.md: regenerate them with that variable set, then look at them)."""
    path = screenshot(tab, name, full_page=False)
    if os.environ.get("QCP_DOC_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        (DOCS_IMG / f"{name}.png").write_bytes(path.read_bytes())
    return path
