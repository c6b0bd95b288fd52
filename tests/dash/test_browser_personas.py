"""Each persona finishes the day's tasks in headless Chromium at 1366×768 (issue 23): the analyst
filters a benchmark by prefecture and goal list, reads last year's positions, drills into a hospital
and comes back to the same filters, reads the provinces funnel, searches the catalog and reads the
lineage Sankey; the submitter picks a quarter, sees what does not apply and what a correction would
change. Each test saves its page's screenshot (``docs_screenshot``: the images of docs/dashboards.md)."""

from __future__ import annotations

import pytest

from tests.dash.browser_support import browser_sign_in, choose, settle
from tests.dash.conftest import docs_screenshot, screenshot

pytestmark = pytest.mark.browser

BENCHMARK = "/dash/benchmark?indicator=NIT-2023-II.1&quarter=2023Q4"


def test_analyst_filters_by_prefecture_drills_in_and_comes_back(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", BENCHMARK)
    every = page.locator("#bm-rows tbody tr").count()
    choose(page, "bm-prefecture", "杭州市")
    page.wait_for_selector("#bm-prefecture-note")
    settle(page)
    assert "杭州市" in page.inner_text("#bm-prefecture-note")
    assert 0 < page.locator("#bm-rows tbody tr").count() < every
    # last year's position of the same hospitals (catalog lineage: the 2022 predecessor)
    legend = page.locator("#bm-funnel .legend").text_content()
    assert "去年同期位置" in legend and "2022Q4" in legend
    assert "急性脑梗死" in page.locator("#bm-funnel .g-ytitle").text_content()  # the axis names the indicator
    docs_screenshot(page, "analyst-benchmark")
    name = page.locator("#bm-rows tbody tr a").first.inner_text()
    page.locator("#bm-rows tbody tr a").first.click()
    page.wait_for_selector("#hospital-breadcrumb")
    settle(page)
    assert name in page.inner_text("#hospital-breadcrumb")
    page.click("#hospital-back")
    page.wait_for_selector("#bm-prefecture-note")  # back on the benchmark, still on 杭州市
    assert "NIT-2023-II.1" in page.inner_text("#bm-indicator")
    assert "prefecture=330100" in page.url


def test_analyst_narrows_the_indicators_to_specialty_goals(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", BENCHMARK)
    page.get_by_label("专业目标").check()
    page.wait_for_function(
        "() => !document.querySelector('#bm-indicator').innerText.includes('NIT-2023-II.1')"
    )
    settle(page)
    assert "NIT-2023" not in page.inner_text("#bm-indicator")  # a specialty goal's indicator now
    page.get_by_label("国家目标").check()
    page.wait_for_function("() => document.querySelector('#bm-indicator').innerText.includes('NIT-2023')")


def test_national_analyst_reads_province_names_on_the_funnel(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "nat.analyst", "/dash/national?quarter=2023Q4")
    page.wait_for_selector("#national-funnel .textpoint")
    labels = page.locator("#national-funnel .textpoint").all_text_contents()
    assert "浙江省" in labels
    screenshot(page, "national-rollup")


def test_analyst_searches_the_catalog_and_reads_the_lineage(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/catalog")
    shown = page.inner_text("#page")  # the header, notes and the 2021 → 2026 diff
    assert not [name for name in ("sources/", ".txt", ".yaml", ".md") if name in shown]
    page.fill("#catalog-search", "静脉血栓")
    page.press("#catalog-search", "Enter")
    page.wait_for_selector("#catalog-found")
    settle(page)
    goals = page.locator("#catalog-goals .qcp-goal").all_inner_texts()
    assert goals and all("静脉血栓" in g for g in goals)
    assert "分母" in goals[0]  # opened: the definitions show without another click
    docs_screenshot(page, "analyst-catalog")
    legend = page.inner_text("#catalog-sankey-legend")
    assert "调整序号" in legend and "退出或去向待定" in legend
    assert "新增目标的流向已隐藏" in page.locator("#catalog-sankey").text_content()
    hidden = page.locator("#catalog-sankey .sankey-link").count()
    page.get_by_label("显示新增目标的流向").check()
    page.wait_for_function(
        f"() => document.querySelectorAll('#catalog-sankey .sankey-link').length > {hidden}"
    )
    screenshot(page, "catalog-lineage")


def test_submitter_picks_a_quarter_and_sees_what_a_correction_changes(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.submitter", "/dash/submit?quarter=2023Q4")
    choose(page, "sub-quarter-pick", "2023Q3")
    page.wait_for_url("**quarter=2023Q3**")
    page.wait_for_selector("h2:has-text('数据上报') + div:has-text('2023Q3')")
    settle(page)
    assert "专业目标指标" in page.inner_text("#sub-optional summary")  # not 36 blank required rows
    assert "联系省级质控中心" in page.inner_text("#sub-locked")  # said before anyone types
    box = page.locator("[id*='NIT-2023-II.1'][id*='sub-num']")
    before = box.input_value()
    box.fill(str(int(before or 0) + 1))
    page.click("#sub-check")
    page.wait_for_selector("#sub-changes-table")
    row = page.inner_text("#sub-changes-table")
    assert "NIT-2023-II.1" in row and f"{int(before or 0) + 1}/" in row
    page.locator("#sub-changes").scroll_into_view_if_needed()
    docs_screenshot(page, "submitter-correction-preview")
    page.goto(f"{live_dash.base_url}/dash/hospital/{live_dash.hospitals['H001']}?quarter=2023Q3")
    page.wait_for_selector("#hospital-events")
    events = page.inner_text("#hospital-events")
    assert "已通过" in events and "submitted" not in events and "approved" not in events  # in Chinese


MAIN_PAGES = {  # persona → its main page and what shows the page is there
    "nat.analyst": ("/dash/national?quarter=2023Q4", "#national-table"),
    "zj.admin": ("/dash/review", "#rv-count"),
    "zj.analyst": ("/dash/province?quarter=2023Q4", "#section-completeness"),
    "zj.icu": ("/dash/benchmark?quarter=2023Q4", "#bm-rows"),
    "h001.submitter": ("/dash/submit?quarter=2023Q4", "#sub-table"),
    "h001.viewer": ("/dash/hospital", "#hospital-yoy"),  # no id: a hospital user's own page
}
# stored values and internal names that must not reach the Chinese interface as they are
NOT_SHOWN = ("submitted", "approved", "returned", "comparable", "retired", "None", "NaN", "sources/", "_")


@pytest.mark.parametrize("user", sorted(MAIN_PAGES))
def test_each_personas_main_page_reads_in_chinese(live_dash, page, user) -> None:  # noqa: ANN001
    path, ready = MAIN_PAGES[user]
    browser_sign_in(page, live_dash, user, path)
    page.wait_for_selector(ready)
    text = page.inner_text("#page")
    shown = [word for word in NOT_SHOWN if word in text]
    assert not shown, f"{user} reads {shown} on {path}"
    docs_screenshot(page, f"persona-{user.replace('.', '-')}")
