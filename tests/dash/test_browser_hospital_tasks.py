"""Real-browser tests of issue 23's remaining tasks: from the funnel to a hospital, the hospital page's
year-over-year columns, empty charts that say why, the hospital viewer's report print and CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from dash_app import data
from services.core.actor import Actor, Role
from tests.dash.browser_support import browser_sign_in, settle
from tests.dash.conftest import screenshot

pytestmark = pytest.mark.browser

NATIONAL = Actor(subject="t", roles=frozenset({Role.NATIONAL_ANALYST}))


def click_first_point(tab, graph: str) -> None:  # noqa: ANN001
    """Move the mouse onto the first hospital point of ``graph`` and click it, as a person would."""
    tab.wait_for_selector(f"#{graph} .scatterlayer .point")
    box = tab.locator(f"#{graph} .scatterlayer .trace .point").last.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.wait_for_selector(f"#{graph} .hoverlayer .hovertext")
    tab.mouse.click(x, y)


@pytest.mark.parametrize("graph", ["bm-funnel", "bm-dots"])
def test_analyst_clicks_a_hospital_on_the_benchmark_and_lands_on_its_page(live_dash, page, graph) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/benchmark?indicator=NIT-2023-I.1&quarter=2023Q3")
    page.wait_for_selector(f"#{graph} .main-svg")
    click_first_point(page, graph)
    page.wait_for_url("**/dash/hospital/**")
    settle(page)
    hospital_id = int(page.url.split("/dash/hospital/")[1].split("?")[0])
    assert "?quarter=2023Q3&from=" in page.url  # the breadcrumb remembers the benchmark's filters
    name = data.hospital(live_dash.database, NATIONAL, hospital_id)["name"]
    page.wait_for_selector(f"#page h2:has-text('{name}')")
    page.wait_for_selector("#hospital-back")
    page.wait_for_selector("#hospital-yoy")
    screenshot(page, f"benchmark-click-{graph}")


def test_hospital_page_shows_last_years_rate_and_the_change_under_their_own_headings(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.viewer", "/dash/?quarter=2023Q3")
    page.wait_for_selector("#hospital-yoy")
    headings = page.locator("#hospital-yoy thead th").all_inner_texts()
    assert headings[2:] == ["本季度 2023Q3", "去年同期", "同比变化", "评价"]
    changes = [row.locator("td").nth(4).inner_text() for row in page.locator("#hospital-yoy tbody tr").all()]
    assert any(c.startswith(("▲", "▼")) for c in changes)
    for change in changes:  # the arrow agrees with the sign
        assert not change.startswith("▲") or "+" in change, change
        assert not change.startswith("▼") or "−" in change, change
    screenshot(page, "hospital-yoy-columns")


@pytest.mark.parametrize(
    ("login", "reason"),
    [("h001.viewer", "本院本季度该指标暂无数据"), ("zj.analyst", "本季度该指标暂无数据")],
)
def test_a_benchmark_without_data_says_why_instead_of_empty_axes(live_dash, page, login, reason) -> None:  # noqa: ANN001
    # no hospital of the demo's 浙江 reports the specialty goal PIT-2023-01.1
    browser_sign_in(page, live_dash, login, "/dash/benchmark?indicator=PIT-2023-01.1&quarter=2023Q3")
    for graph in ("bm-funnel", "bm-dots"):
        page.wait_for_selector(f"#{graph} .main-svg")
        shown = page.inner_text(f"#{graph}")
        assert reason in shown, shown
        assert page.locator(f"#{graph} .xtick").count() == 0  # no empty axes
    if login == "h001.viewer":
        assert "“医院”页面" in page.inner_text("#bm-funnel")  # what a hospital user can see instead
        assert "点击漏斗图中的点" not in page.inner_text("#page")  # no promise to open other hospitals
    else:
        assert "本院" not in page.inner_text("#bm-funnel")
        assert "点击漏斗图中的点打开该医院页面" in page.inner_text("#page")
    screenshot(page, f"benchmark-no-data-{login}")


def test_hospital_viewer_exports_its_own_rows_as_csv(live_dash, page, tmp_path) -> None:  # noqa: ANN001
    own = live_dash.hospitals["H001"]
    browser_sign_in(page, live_dash, "h001.viewer", "/dash/?quarter=2023Q3")
    page.wait_for_selector("#hospital-yoy")
    with page.expect_download() as got:
        page.click("#hospital-export")
    assert got.value.suggested_filename == f"hospital-{own}-2023Q3.csv"
    saved = tmp_path / "hospital.csv"
    got.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
    assert len(rows) >= page.locator("#hospital-yoy tbody tr").count() > 0  # every indicator of the quarter
    assert {(r["hospital_id"], r["hospital_name"]) for r in rows} == {(str(own), "杭州市第一人民医院")}
    assert {r["quarter"] for r in rows} == {"2023Q3"}
    first = next(r for r in rows if r["indicator_code"] == "NIT-2023-I.1")
    assert first["numerator"].isdigit() and first["previous_rate"]

    neighbour = live_dash.hospitals["H002"]  # the same callback asked for another hospital: nothing
    body = {
        "output": "hospital-download.data",
        "outputs": {"id": "hospital-download", "property": "data"},
        "inputs": [{"id": "hospital-export", "property": "n_clicks", "value": 1}],
        "state": [
            {
                "id": "hospital-view",
                "property": "data",
                "value": {"hospital_id": neighbour, "quarter": "2023Q3"},
            }
        ],
        "changedPropIds": ["hospital-export.n_clicks"],
    }
    answer = page.request.post(f"{live_dash.base_url}/dash/_dash-update-component", data=body)
    assert answer.status == 204 or "hospital-download" not in answer.text()


def test_hospital_viewer_opens_the_feedback_report_and_prints_it(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.viewer", "/dash/?quarter=2023Q3")
    with page.context.expect_page() as opened:
        page.click("#hospital-report-link")
    report = opened.value
    report.wait_for_load_state("networkidle")
    assert "/dash/report/" in report.url and "杭州市第一人民医院" in report.inner_text("body")
    report.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    report.click("text=打印 / 另存为 PDF")
    assert report.evaluate("() => window.printed") == 1  # the script ran under the CSP
    report.emulate_media(media="print")
    assert not report.is_visible("#report-print")  # the toolbar does not print
    report.emulate_media(media="screen")
    screenshot(report, "feedback-report-print")
