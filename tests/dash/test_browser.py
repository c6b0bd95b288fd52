"""Real-browser tests: headless Chromium signs in through the issuer's login form, as each role.

Screenshots of every page land in test-artifacts/screenshots/ (gitignored; CI keeps them).
"""

from __future__ import annotations

import pytest

from dash_app import data
from services.core.actor import Actor, Role
from services.core.quarter import Quarter
from tests.dash.browser_support import browser_sign_in, settle
from tests.dash.conftest import screenshot

pytestmark = pytest.mark.browser


def assert_image_size(path, size: tuple[int, int] = (1366, 768)) -> None:  # noqa: ANN001
    """README screenshots are exactly one 1366×768 office screen (PNG header: width, height)."""
    header = path.read_bytes()[16:24]
    assert (int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")) == size


Q = Quarter(2023, 4)
ZJ_ANALYST = Actor(subject="t", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
NATIONAL = Actor(subject="t", roles=frozenset({Role.NATIONAL_ANALYST}))


def test_provincial_analyst_lands_on_province_overview_with_demo_numbers(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst")
    landing = data.default_quarter(live_dash.database, ZJ_ANALYST)  # the newest quarter with data
    assert landing.year == 2026  # the demo reaches the newest catalog year
    report = data.completeness(live_dash.database, ZJ_ANALYST, quarter=landing, province="330000")
    assert page.inner_text("#kpi-expected") == str(report["hospitals_expected"])
    assert page.inner_text("#kpi-missing") == str(report["missing"])
    assert report["hospitals_expected"] > 0
    assert "浙江省" in page.inner_text("#page")
    page.wait_for_selector("#province-heatmap .main-svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scrolling
    assert_image_size(screenshot(page, "province-overview", full_page=False))


def test_national_analyst_lands_on_rollup_with_province_rates(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "nat.analyst")
    page.wait_for_selector("#national-table")
    landing = data.default_quarter(live_dash.database, NATIONAL)
    first = data.indicator_options(live_dash.database, NATIONAL, landing.year)[0]["value"]
    rollup = data.rollup(live_dash.database, NATIONAL, quarter=landing, indicator=first)
    text = page.inner_text("#national-table")
    for row in rollup["indicators"][0]["provinces"]:
        assert f"{row['pooled_rate']:.2f}" in text
    assert "广东省" in text and "四川省" in text
    page.wait_for_selector("#national-funnel .main-svg")
    screenshot(page, "national-rollup")


def test_hospital_submitter_lands_on_own_hospital(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.submitter")
    assert page.url.endswith("/dash/")
    assert "杭州市第一人民医院" in page.inner_text("#page")
    page.wait_for_selector("#hospital-yoy")
    page.wait_for_selector("#hospital-trend .main-svg")
    page.wait_for_selector("#hospital-cusum .main-svg")  # the early-warning chart with its limit
    chart = page.inner_text("#hospital-cusum")
    assert "控制限 h = 5" in chart and "CUSUM" in chart
    screenshot(page, "hospital-page")


def test_hospital_user_cannot_open_another_hospital(live_dash, page) -> None:  # noqa: ANN001
    other = live_dash.hospitals["H025"]  # a Guangdong hospital
    browser_sign_in(page, live_dash, "h001.submitter", f"/dash/hospital/{other}")
    text = page.inner_text("#page")
    assert "不存在" in text
    own = data.hospital(live_dash.database, NATIONAL, other)["name"]
    assert own not in text
    neighbour = live_dash.hospitals["H002"]  # same province, still not theirs
    page.goto(f"{live_dash.base_url}/dash/hospital/{neighbour}")
    settle(page)
    assert "不存在" in page.inner_text("#page")
    assert page.request.get(f"{live_dash.base_url}/dash/report/{neighbour}/2023Q4").status == 404


def test_hospital_user_callback_request_for_another_hospital_gets_nothing(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.submitter")
    neighbour = live_dash.hospitals["H002"]
    body = {
        "output": "hospital-trend.figure",
        "outputs": {"id": "hospital-trend", "property": "figure"},
        "inputs": [{"id": "hospital-indicator", "property": "value", "value": "NIT-2023-I.1"}],
        "state": [
            {
                "id": "hospital-view",
                "property": "data",
                "value": {"hospital_id": neighbour, "quarter": "2023Q3"},
            }
        ],
        "changedPropIds": ["hospital-indicator.value"],
    }
    answer = page.request.post(f"{live_dash.base_url}/dash/_dash-update-component", data=body)
    assert answer.status == 200
    figure = answer.json()["response"]["hospital-trend"]["figure"]
    assert all(not trace.get("y") or all(v is None for v in trace["y"]) for trace in figure["data"])
    assert "不存在" in figure["layout"]["title"]["text"]


def test_hospital_user_early_warning_callback_for_another_hospital_gets_nothing(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.submitter")
    neighbour = live_dash.hospitals["H002"]
    body = {
        "output": "hospital-cusum.figure",
        "outputs": {"id": "hospital-cusum", "property": "figure"},
        "inputs": [{"id": "hospital-indicator", "property": "value", "value": "NIT-2023-I.1"}],
        "state": [
            {
                "id": "hospital-view",
                "property": "data",
                "value": {"hospital_id": neighbour, "quarter": "2023Q3"},
            }
        ],
        "changedPropIds": ["hospital-indicator.value"],
    }
    answer = page.request.post(f"{live_dash.base_url}/dash/_dash-update-component", data=body)
    assert answer.status == 200
    figure = answer.json()["response"]["hospital-cusum"]["figure"]
    assert all(not trace.get("y") or all(v is None for v in trace["y"]) for trace in figure["data"])
    assert "不存在" in figure["layout"]["title"]["text"]


def test_benchmark_page_funnel_and_export(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/benchmark?indicator=NIT-2023-I.1&quarter=2023Q3")
    page.wait_for_selector("#bm-funnel .main-svg")
    page.wait_for_selector("#bm-rows")
    assert "φ" in page.inner_text("#bm-summary")
    assert_image_size(screenshot(page, "benchmark-funnel", full_page=False))
    with page.expect_download() as download:
        page.click("#bm-export")
    assert download.value.suggested_filename.endswith(".csv")


def test_catalog_page_shows_goals_diff_and_sankey(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/catalog")
    page.wait_for_selector("#catalog-diff-table")
    page.wait_for_selector("#catalog-sankey .main-svg")
    goals = page.inner_text("#catalog-goals")  # the latest shipped year (2026), at its current revision
    assert "提高静脉血栓栓塞症规范预防率" in goals and "第 1 版" in goals
    screenshot(page, "catalog")


def test_language_switch_to_english(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/catalog")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("#lang-link")
    page.wait_for_selector("text=Goal catalog and changes")
    settle(page)
    assert "Sign out" in page.inner_text("header")
    assert page.get_attribute("html", "lang") == "en"
    page.goto(live_dash.base_url + "/dash/lang/zh")  # back to Chinese for the tests that follow
    settle(page)
    assert page.get_attribute("html", "lang") == "zh-CN"


def test_submission_errors_show_inline(live_dash, page) -> None:  # noqa: ANN001
    # runs before the approval test below: an approved quarter refuses changes altogether
    browser_sign_in(page, live_dash, "h001.submitter", "/dash/submit?quarter=2023Q4")
    page.fill("input[id*='sub-num'][id*='NIT-2023-II.1']", "500")
    page.fill("input[id*='sub-den'][id*='NIT-2023-II.1']", "10")
    page.click("#sub-check")
    page.wait_for_selector("#sub-errors")
    problem = page.locator("td[id*='sub-problem'][id*='NIT-2023-II.1']").inner_text()
    assert problem.strip()
    screenshot(page, "submission-errors")


def test_entry_form_reports_negative_and_fractional_counts(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.submitter", "/dash/submit?quarter=2023Q4")
    page.fill("input[id*='sub-num'][id*='NIT-2023-II.1']", "-5")
    page.fill("input[id*='sub-den'][id*='NIT-2023-III.1']", "1.5")
    page.click("#sub-check")
    errors = page.wait_for_selector("#sub-errors")
    assert "未保存任何数据" in errors.inner_text() and page.locator("#sub-ok").count() == 0
    num = page.locator("td[id*='sub-problem'][id*='NIT-2023-II.1']").inner_text()
    den = page.locator("td[id*='sub-problem'][id*='NIT-2023-III.1']").inner_text()
    assert "分子“-5”不是非负整数" in num and "分母“1.5”不是非负整数" in den
    screenshot(page, "submission-typed-errors")


def _corrected_csv(path) -> tuple[bytes, str]:  # noqa: ANN001
    """The downloaded, prefilled CSV with one denominator raised by one: (file, indicator code)."""
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    for i, line in enumerate(lines[2:], start=2):
        cells = line.split(",")
        if len(cells) >= 8 and cells[6].isdigit():
            cells[6] = str(int(cells[6]) + 1)
            lines[i] = ",".join(cells)
            return ("\r\n".join(lines)).encode("utf-8-sig"), cells[0]
    raise AssertionError("the prefilled template holds no values on record")


def test_submitter_corrects_a_quarter_by_upload_with_a_reason(live_dash, page, tmp_path) -> None:  # noqa: ANN001
    # runs before the approval test below (2023Q4 of H001 is still open for corrections)
    browser_sign_in(page, live_dash, "h001.submitter", "/dash/submit?quarter=2023Q4")
    with page.expect_download() as got:
        page.click("#sub-template-csv")
    template = tmp_path / "template.csv"
    got.value.save_as(template)
    corrected, code = _corrected_csv(template)
    before = page.input_value(f"input[id*='sub-den'][id*='{code}']")
    upload = tmp_path / "corrected.csv"
    upload.write_bytes(corrected)

    page.set_input_files("#sub-upload input[type=file]", str(upload))
    page.wait_for_selector("#sub-upload-result :text('更正原因')")
    screenshot(page, "submission-upload-needs-reason")

    page.fill("#sub-reason", "更正：分母漏计 1 例 / correction: one case was left out of the denominator")
    page.check("#sub-upload-dry input[type=checkbox]")
    page.set_input_files("#sub-upload input[type=file]", str(upload))  # the same file again
    page.wait_for_selector("#sub-upload-result #sub-ok")
    assert "✓" in page.inner_text("#sub-upload-result")

    page.reload()  # the check stored nothing
    settle(page)
    assert page.input_value(f"input[id*='sub-den'][id*='{code}']") == before

    page.fill("#sub-reason", "更正：分母漏计 1 例 / correction: one case was left out of the denominator")
    page.set_input_files("#sub-upload input[type=file]", str(upload))
    page.wait_for_selector("#sub-upload-result #sub-ok:has-text('已提交')")
    page.reload()
    settle(page)
    after = page.input_value(f"input[id*='sub-den'][id*='{code}']")
    assert int(after) == int(before) + 1
    screenshot(page, "submission-corrected-by-upload")


def test_submission_appears_in_benchmark_after_approval(live_dash, browser) -> None:  # noqa: ANN001
    def tab():  # noqa: ANN202
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        created = context.new_page()
        created.set_default_timeout(30_000)
        return created

    submitter = tab()
    browser_sign_in(submitter, live_dash, "h001.submitter", "/dash/submit?quarter=2023Q4")
    submitter.fill("input[id*='sub-num'][id*='NIT-2023-I.1']", "71")
    submitter.fill("input[id*='sub-den'][id*='NIT-2023-I.1']", "97")
    submitter.fill("#sub-reason", "更正：漏报病例 / correction: missed cases")
    submitter.click("#sub-send")
    submitter.wait_for_selector("#sub-ok")
    screenshot(submitter, "submission")
    reviewer = tab()
    browser_sign_in(reviewer, live_dash, "zj.admin", "/dash/review")
    row = f"#rv-row-{live_dash.hospitals['H001']}-2023Q4"
    count_before = int("".join(ch for ch in reviewer.inner_text("#rv-count") if ch.isdigit()))
    reviewer.click(f"{row} summary")  # what the hospital changed, and why
    seen = reviewer.inner_text(row)
    assert "更正" in seen and "→ 71/97" in seen and "更正：漏报病例" in seen
    screenshot(reviewer, "review-queue")
    reviewer.click(f"{row} button:has-text('通过')")
    done = reviewer.wait_for_selector("#rv-ok").inner_text()
    assert "杭州市第一人民医院 2023Q4：已通过" in done  # the confirmation names the hospital
    assert f"待审核 {count_before - 1} 份" in reviewer.inner_text("#rv-count")
    picks = reviewer.locator("#rv-table input[type=checkbox]")
    assert picks.count() >= 2  # the demo leaves several 浙江 quarters awaiting review
    rows = reviewer.locator("#rv-table tbody tr")
    names = [rows.nth(i).locator("td").nth(1).inner_text() for i in (0, 1)]
    picks.nth(0).check()  # approve several at once
    picks.nth(1).check()
    reviewer.click("#rv-approve-picked")
    both = reviewer.wait_for_selector(f"#rv-ok:has-text('{names[1]}')").inner_text()
    assert all(f"{n} 2023Q4：已通过" in both for n in names), both
    assert f"待审核 {count_before - 3} 份" in reviewer.inner_text("#rv-count")
    analyst = tab()
    browser_sign_in(analyst, live_dash, "zj.analyst", "/dash/benchmark?indicator=NIT-2023-I.1&quarter=2023Q4")
    analyst.wait_for_selector("#bm-rows")
    line = analyst.locator("#bm-rows tr", has_text="杭州市第一人民医院").inner_text()
    assert "71" in line and "97" in line


def test_admin_page_shows_window_and_networks(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.admin", "/dash/admin")
    page.wait_for_selector("#network-table")
    assert "杭州城市医疗集团" in page.inner_text("#network-table")
    screenshot(page, "admin")


def _window_fields(tab) -> list[str]:  # noqa: ANN001
    return [tab.input_value(f"#win-{k}") for k in ("opens", "due", "locks")]


def test_admin_saves_a_window_twice_and_reads_it_back_unchanged(live_dash, page) -> None:  # noqa: ANN001
    # 2023Q1 is long approved everywhere in the demo: a window there changes no other test's flags
    browser_sign_in(page, live_dash, "zj.admin", "/dash/admin?quarter=2023Q1")
    page.fill("#win-due", "2023-04-01")
    page.fill("#win-opens", "2023-04-20")
    page.click("#win-save")
    alert = page.wait_for_selector("#win-result [role=alert]")
    assert "开放时间 ≤ 截止时间 ≤ 锁定时间" in alert.inner_text()  # not "1 validation error for WindowIn"
    page.fill("#win-opens", "2023/04/01")
    page.click("#win-save")
    page.wait_for_selector("#win-result [role=alert]:has-text('YYYY-MM-DD')")

    wanted = ["2023-04-01", "2023-04-30", "2023-05-15"]
    for _ in range(2):
        for key, value in zip(("opens", "due", "locks"), wanted, strict=True):
            page.fill(f"#win-{key}", value)
        page.click("#win-save")
        page.wait_for_selector("#win-ok")
        shown = page.inner_text("#window-table")
        assert all(day in shown for day in wanted), shown
        page.reload()
        settle(page)
        assert _window_fields(page) == wanted  # China dates: no eight-hour drift on a round trip
        assert "2023-04-01 00:00" in page.inner_text("#window-table")
    screenshot(page, "admin-window-saved")
