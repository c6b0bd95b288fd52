"""The documentation site builds in strict mode, and its search finds pages by Chinese words.

Strict mode fails on a broken link, a missing anchor or a page outside the nav (mkdocs.yml). The search
test types real queries into Material's search box in headless Chromium.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.dash.conftest import BROWSER_ARGS, CHROMIUM, browser_skip_reason

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    warnings = [line for line in done.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert done.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(warnings or [done.stderr])
    return out


def test_site_has_every_page_of_docs(site):
    pages = sorted(p.relative_to(REPO / "docs").with_suffix(".html") for p in (REPO / "docs").rglob("*.md"))
    assert len(pages) >= 17
    missing = [str(p) for p in pages if not (site / p).exists()]
    assert not missing, missing
    assert (site / "search" / "search_index.json").exists()


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def search(page, base: str, query: str) -> list[str]:  # noqa: ANN001
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base}/index.html")
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    results = page.locator(".md-search-result__item > a")
    results.first.wait_for(timeout=60_000)  # the worker builds the index first
    hrefs = results.evaluate_all("a => a.map(x => x.href)")
    pages = [href.split("#")[0].split("?")[0].rsplit("/", 1)[-1] for href in hrefs]
    return list(dict.fromkeys(pages))  # each page once, in the order of its best result


@pytest.fixture(scope="module")
def tab() -> Iterator[object]:
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        yield chromium.new_page(locale="zh-CN")
        chromium.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("query", "page_name"),
    [
        ("落后标记", "benchmarking.html"),
        ("上报窗口", "provincial-admin.html"),  # the guide task 设置上报窗口
        ("能力声明", "fhir.html"),
        ("CapabilityStatement", "fhir.html"),
    ],
)
def test_search_finds_pages_by_chinese_words(served, tab, query, page_name):
    found = search(tab, served, query)
    assert page_name in found[:3], f"{query!r}: {page_name} not among the first results {found[:5]}"
