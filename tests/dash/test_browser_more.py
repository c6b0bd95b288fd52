"""Real-browser tests of the network and hospital admin forms, the lineage-aware hospital trend and an open tab
whose session ended on the server."""

from __future__ import annotations

import secrets

import pytest

from services.registry.credit_code import check_character
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


def test_admin_registers_a_hospital_and_sees_every_problem_inline(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.admin", "/dash/admin")
    page.wait_for_selector("#hospital-table")
    body = f"12330100{secrets.randbelow(10**9):09d}"
    page.fill(
        "#hosp-credit", body + "X" if check_character(body) != "X" else body + "0"
    )  # a wrong check character
    page.fill("#hosp-name", "浏览器登记医院")
    page.fill("#hosp-prefecture", "440100")  # not in 浙江
    page.fill("#hosp-beds", "-5")
    page.click("#hosp-register")
    refused = page.wait_for_selector("#hosp-result-error").inner_text()
    assert "床位数：不能小于 0" in refused and "Field required" not in refused  # not pydantic's English
    page.fill("#hosp-beds", "300")
    page.click("#hosp-register")
    # the first refusal is still shown: wait for the answer to this click, not for any error box
    page.wait_for_selector("#hosp-result-error:has-text('credit_code')")
    problems = page.inner_text("#hosp-result-error")
    assert "credit_code" in problems and "prefecture_code" in problems  # both at once
    assert "浏览器登记医院" not in page.inner_text("#hospital-table")  # nothing half-registered
    page.fill("#hosp-credit", body + check_character(body))
    page.fill("#hosp-prefecture", "330100")
    page.fill("#hosp-reports-from", "2023Q1")
    page.click("#hosp-register")
    page.wait_for_selector("#hosp-result-ok")
    row = page.locator("#hospital-table tr", has_text="浏览器登记医院").inner_text()
    assert "2023Q1" in row and "杭州市" in row
    page.reload()  # the change form lists the hospitals registered so far
    settle(page)
    choose(page, "hosp-change-id", "浏览器登记医院")
    page.fill("#hosp-change-quarter", "2022Q3")
    page.click("#hosp-change")
    page.wait_for_selector("#hosp-change-result-error")  # a change of the registry needs its reason
    assert "reason" in page.inner_text("#hosp-change-result-error")
    page.fill("#hosp-change-reason", "补报 2022 年数据")
    page.click("#hosp-change")
    page.wait_for_selector("#hosp-change-result-ok")
    assert "2022Q3" in page.locator("#hospital-table tr", has_text="浏览器登记医院").inner_text()
    page.click("#hosp-deactivate")  # the same reason field, a separate audited action
    page.locator("#hospital-table tr", has_text="浏览器登记医院").filter(has_text="已停用").wait_for()
    screenshot(page, "admin-hospitals")


def test_analyst_sees_no_registry_form(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/admin")
    settle(page)
    assert page.locator("#hosp-register").count() == 0


def test_hospital_trend_marks_the_definition_change(live_dash, page) -> None:  # noqa: ANN001
    hospital = live_dash.hospitals["H001"]
    browser_sign_in(page, live_dash, "zj.analyst", f"/dash/hospital/{hospital}?quarter=2023Q4")
    page.wait_for_selector("#hospital-trend .main-svg")
    choose(page, "hospital-indicator", "NIT-2023-IX.1")
    page.wait_for_selector("#hospital-trend .annotation-text:has-text('口径变化')")
    # The axis reaches back to 2022Q1 on the predecessor (waited for: the figure may still be redrawn).
    page.wait_for_selector("#hospital-trend .main-svg text:has-text('2022Q1')")
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
