"""Real-browser tests of the network admin forms, the lineage-aware hospital trend and an open tab
whose session ended on the server."""

from __future__ import annotations

import pytest

from tests.dash.browser_support import browser_sign_in, choose, settle
from tests.dash.conftest import screenshot

pytestmark = pytest.mark.browser


def test_admin_creates_network_adds_member_and_sees_overlap_inline(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.admin", "/dash/admin")
    page.wait_for_selector("#network-table")
    page.fill("#net-name", "浏览器测试联盟")
    page.click("#net-create")
    page.wait_for_selector("#net-result-ok")
    assert "浏览器测试联盟" in page.inner_text("#network-table")
    choose(page, "mem-network", "浏览器测试联盟")
    choose(page, "mem-hospital", "杭州市第一人民医院")
    page.fill("#mem-from", "2023-01-01")
    page.click("#mem-add")
    page.wait_for_selector("#mem-result-ok")
    assert "杭州市第一人民医院" in page.inner_text("#mem-table")
    page.fill("#mem-from", "2023-04-01")  # the same hospital again, overlapping the open membership
    page.click("#mem-add")
    page.wait_for_selector("#mem-result-error")
    assert "重叠" in page.inner_text("#mem-result-error")
    screenshot(page, "admin-networks")


def test_hospital_trend_marks_the_definition_change(live_dash, page) -> None:  # noqa: ANN001
    hospital = live_dash.hospitals["H001"]
    browser_sign_in(page, live_dash, "zj.analyst", f"/dash/hospital/{hospital}?quarter=2023Q4")
    page.wait_for_selector("#hospital-trend .main-svg")
    choose(page, "hospital-indicator", "NIT-2023-IX.1")
    page.wait_for_selector("#hospital-trend .annotation-text:has-text('口径变化')")
    assert "2022Q1" in page.inner_text("#hospital-trend")
    screenshot(page, "hospital-trend-lineage")


def test_open_tab_goes_to_sign_in_when_the_session_ended(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/catalog")
    auth = live_dash.dash.server.config["QCP"].auth
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "qcp_dash")
    assert auth.store.drop(auth.signer.session_id(cookie)) is not None  # ended on the server
    page.click("#nav-benchmark")  # client-side navigation: the router callback answers 401
    page.wait_for_selector("#kc-form-login")
    page.fill("#username", "zj.analyst")
    page.fill("#password", live_dash.password)
    page.click("#kc-login")
    page.wait_for_url(f"{live_dash.base_url}/dash/benchmark**")
    settle(page)
    assert page.locator("#bm-funnel").count() == 1
