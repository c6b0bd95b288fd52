"""The user guide's tasks (docs/guide/), performed in a real browser by each role, with the guide's
screenshots taken at the steps the guide describes.

The pictures are written to docs/guide/img/ only when ``QCP_DOCS_SCREENSHOTS=1`` (so an ordinary test
run never dirties the tree), else to test-artifacts/screenshots/guide-*.png. Regenerate the guide's
pictures after a page changes:

    QCP_DOCS_SCREENSHOTS=1 .venv/bin/python -m pytest tests/dash/test_guide_screenshots.py

The hospital's quarter 2024Q2 is one no other browser test touches; the flow ends with it approved,
so the review queue other tests read holds nothing of this module's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.dash.browser_support import browser_sign_in, settle
from tests.dash.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

GUIDE_IMG = Path(__file__).resolve().parents[2] / "docs" / "guide" / "img"
QUARTER = "2024Q2"


def guide_shot(tab, name: str, *, at: str | None = None) -> Path:  # noqa: ANN001
    """One 1366×768 screen, scrolled so that ``at`` (a selector) is in view."""
    if at:
        tab.locator(at).first.scroll_into_view_if_needed()
    if os.environ.get("QCP_DOCS_SCREENSHOTS") == "1":
        GUIDE_IMG.mkdir(parents=True, exist_ok=True)
        path = GUIDE_IMG / f"{name}.png"
    else:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"guide-{name}.png"
    tab.screenshot(path=str(path), full_page=False)
    return path


def _tab(browser):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    return tab


def _box(kind: str, code: str) -> str:
    return f"input[id*='sub-{kind}'][id*='{code}']"


def test_submit_return_correct_approve(live_dash, browser) -> None:  # noqa: ANN001
    """医院上报员上报本季度数据 → 省级管理员退回 → 上报员带原因更正 → 管理员通过。"""
    submitter, admin = _tab(browser), _tab(browser)
    browser_sign_in(submitter, live_dash, "h001.submitter", f"/dash/submit?quarter={QUARTER}")
    submitter.fill(_box("num", "NIT-2024-I.1"), "52")
    submitter.fill(_box("den", "NIT-2024-I.1"), "48")
    submitter.fill(_box("num", "NIT-2024-II.1"), "131")
    submitter.fill(_box("den", "NIT-2024-II.1"), "150")
    submitter.click("#sub-check")
    submitter.wait_for_selector("#sub-errors")
    assert "分子" in submitter.inner_text("td[id*='sub-problem'][id*='NIT-2024-I.1']")
    guide_shot(submitter, "submitter-check-errors", at="td[id*='sub-problem'][id*='NIT-2024-I.1']")

    submitter.fill(_box("num", "NIT-2024-I.1"), "42")
    submitter.click("#sub-send")
    submitter.wait_for_selector("#sub-ok")
    assert "已保存，等待审核" in submitter.inner_text("#sub-result")
    guide_shot(submitter, "submitter-submitted", at="#sub-result")

    hospital = live_dash.hospitals["H001"]
    row = f"#rv-row-{hospital}-{QUARTER}"
    browser_sign_in(admin, live_dash, "zj.admin", "/dash/review")
    admin.click(f"{row} button:has-text('退回')")  # a return without a comment is refused
    assert "退回须说明原因" in admin.wait_for_selector("#rv-failed").inner_text()
    admin.click(f"{row} summary")
    assert "42/48" in admin.inner_text(row)
    admin.fill(f"{row} input[id*='rv-comment']", "I.1 分母请与病案首页核对 / check the denominator")
    guide_shot(admin, "admin-review-queue", at=row)
    admin.click(f"{row} button:has-text('退回')")
    admin.wait_for_selector("#rv-ok")
    assert "已退回" in admin.inner_text("#rv-ok")

    submitter.goto(f"{live_dash.base_url}/dash/hospital/{hospital}?quarter={QUARTER}")
    settle(submitter)
    assert "已退回" in submitter.inner_text("#hospital-status")
    guide_shot(submitter, "submitter-returned", at="#hospital-status")

    submitter.goto(f"{live_dash.base_url}/dash/submit?quarter={QUARTER}")
    settle(submitter)
    submitter.fill(_box("den", "NIT-2024-I.1"), "50")
    submitter.fill(
        "#sub-reason", "更正：分母漏计 2 例 / correction: 2 cases were missing from the denominator"
    )
    submitter.click("#sub-send")
    submitter.wait_for_selector("#sub-ok")
    guide_shot(submitter, "submitter-corrected", at="#sub-reason")

    admin.goto(f"{live_dash.base_url}/dash/review")
    settle(admin)
    admin.click(f"{row} summary")
    assert "更正" in admin.inner_text(row) and "分母漏计" in admin.inner_text(row)
    admin.click(f"{row} button:has-text('通过')")
    done = admin.wait_for_selector("#rv-ok").inner_text()
    assert f"杭州市第一人民医院 {QUARTER}：已通过" in done
    guide_shot(admin, "admin-approved", at="#rv-ok")
    assert admin.locator(row).count() == 0


def test_admin_sets_a_submission_window(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.admin", f"/dash/admin?quarter={QUARTER}")
    for key, day in (("opens", "2024-07-01"), ("due", "2027-01-31"), ("locks", "2027-02-28")):
        page.fill(f"#win-{key}", day)
    page.click("#win-save")
    page.wait_for_selector("#win-ok")
    assert "2027-01-31" in page.inner_text("#window-table")
    guide_shot(page, "admin-window", at="#win-save")


def test_analyst_reads_the_province_and_a_benchmark(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/province?quarter=2023Q3")
    page.wait_for_selector("#province-heatmap .main-svg")
    guide_shot(page, "analyst-province-overview")
    page.wait_for_selector("#laggard-table")
    guide_shot(page, "analyst-laggards", at="#laggard-table")
    with page.expect_download() as got:
        page.click("#laggard-export")
    assert got.value.suggested_filename.endswith(".csv")

    page.goto(f"{live_dash.base_url}/dash/benchmark?indicator=NIT-2023-I.1&quarter=2023Q3")
    settle(page)
    page.wait_for_selector("#bm-funnel .main-svg")
    guide_shot(page, "analyst-benchmark-funnel", at="#bm-funnel")
    page.wait_for_selector("#bm-rows")
    guide_shot(page, "analyst-benchmark-table", at="#bm-rows")  # its export: test_browser.py


def test_specialty_qc_sees_its_goals(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.icu", "/dash/review")
    settle(page)
    guide_shot(page, "specialty-review-queue")
    page.goto(f"{live_dash.base_url}/dash/benchmark?indicator=NIT-2023-VIII.1&quarter=2023Q3")
    settle(page)
    page.wait_for_selector("#bm-funnel .main-svg")
    guide_shot(page, "specialty-benchmark", at="#bm-funnel")


def test_viewer_reads_its_hospital_and_the_feedback_report(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.viewer", "/dash/?quarter=2023Q3")
    page.wait_for_selector("#hospital-trend .main-svg")
    guide_shot(page, "viewer-hospital")
    page.wait_for_selector("#hospital-yoy")
    with page.context.expect_page() as opened:
        page.click("#hospital-report-link")
    report = opened.value
    report.wait_for_load_state("networkidle")
    assert "杭州市第一人民医院" in report.inner_text("body")
    guide_shot(report, "viewer-feedback-report")


def test_national_staff_compare_provinces(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "nat.analyst", "/dash/national?quarter=2023Q3")
    page.wait_for_selector("#national-table")
    assert "浙江省" in page.inner_text("#national-table")
    page.wait_for_selector("#national-funnel .main-svg")
    guide_shot(page, "national-rollup")
    page.click("#national-table a:has-text('广东省')")
    page.wait_for_url("**/dash/province?province=440000**")
    page.wait_for_selector("#page h2:has-text('广东省')")  # the Guangdong overview, not the rollup
