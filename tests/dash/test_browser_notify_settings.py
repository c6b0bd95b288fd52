"""Notification settings as a hospital's submitter does them in a real browser: stop due-date
e-mails and read the choice back after a reload, add and remove the hospital's shared mailbox,
register a webhook (the secret shown once), rotate it, switch it off; a loopback URL is refused with
the reason. A viewer of the same hospital manages only its own address and sees no webhooks."""

from __future__ import annotations

from tests.dash.browser_support import browser_sign_in, settle
from tests.dash.conftest import screenshot

DUE_SOON = "上报截止临近"


def _email_box(page, label: str):  # noqa: ANN001, ANN202
    return page.locator("#ns-email-kinds label", has_text=label).locator("input")


def test_submitter_turns_off_due_date_emails_and_reads_it_back(page, live_dash) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h025.submitter", "/dash/inbox")
    assert _email_box(page, DUE_SOON).is_checked()  # default: every kind on
    _email_box(page, DUE_SOON).uncheck()
    page.click("#ns-save-prefs")
    page.wait_for_selector("#ns-prefs-result .qcp-ok")
    page.reload()
    settle(page)
    assert not _email_box(page, DUE_SOON).is_checked()
    assert _email_box(page, "上报被退回").is_checked()
    assert page.locator("#ns-inbox-kinds label", has_text=DUE_SOON).locator("input").is_checked()


def test_submitter_adds_and_removes_the_shared_mailbox(page, live_dash) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h025.submitter", "/dash/inbox")
    page.fill("#ns-email", "not-an-address")
    page.click("#ns-add-email")
    page.wait_for_selector("#ns-email-result .qcp-error")
    assert "输入有误" in page.inner_text("#ns-email-result")
    page.fill("#ns-email", "qc@h025.example.cn")
    page.get_by_label("本机构公共邮箱（管理员）").check()
    page.click("#ns-add-email")
    page.wait_for_selector("#ns-emails-table:has-text('qc@h025.example.cn')")
    assert "机构公共" in page.inner_text("#ns-emails-table")
    page.reload()
    settle(page)
    row = page.locator("#ns-emails-table tr", has_text="qc@h025.example.cn")
    row.locator(".ns-remove-email").click()
    page.wait_for_function("() => !document.querySelector('#ns-emails').innerText.includes('qc@h025')")


def test_submitter_registers_rotates_and_switches_off_a_webhook(page, live_dash) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h025.submitter", "/dash/inbox")
    page.fill("#ns-hook-url", "http://127.0.0.1:9/hook")
    page.click("#ns-add-hook")
    page.wait_for_selector("#ns-hook-result .qcp-error")
    assert "内部网络" in page.inner_text("#ns-hook-result")
    assert page.locator("#ns-hooks-table").count() == 0  # nothing registered

    page.fill("#ns-hook-url", "https://his.h025.example.cn/qcp-hook")
    page.click("#ns-add-hook")
    page.wait_for_selector("#ns-hook-secret")
    first = page.inner_text("#ns-hook-secret")
    assert len(first) == 64
    row = page.locator("#ns-hooks-table tr", has_text="his.h025.example.cn")
    assert "启用中" in row.inner_text()
    row.locator(".ns-hook-rotate").click()
    page.wait_for_function(
        f"() => document.querySelector('#ns-hook-secret') && document.querySelector('#ns-hook-secret').innerText !== '{first}'"
    )
    row.locator(".ns-hook-switch").click()
    page.wait_for_selector("#ns-hooks-table tr:has-text('已停用')")
    screenshot(page, "notification-settings")
    page.reload()
    settle(page)
    assert "已停用" in page.inner_text("#ns-hooks-table")
    assert page.locator("#ns-hook-secret").count() == 0  # the secret is never shown again


def test_viewer_manages_only_its_own_address(page, live_dash) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.viewer", "/dash/inbox")
    assert page.locator("#ns-section").count() == 1
    assert page.locator("#ns-hook-url").count() == 0  # webhooks are the organisation admins' business
    assert page.get_by_label("本机构公共邮箱（管理员）").count() == 0


def test_submitter_turns_a_kind_off_for_the_whole_hospital(page, browser, live_dash) -> None:  # noqa: ANN001
    frozen = "季度预警已冻结"
    browser_sign_in(page, live_dash, "h025.submitter", "/dash/inbox")
    page.locator("#ns-email-kinds label", has_text=frozen).locator("input").uncheck()
    page.get_by_label("应用于整个机构（管理员）").check()
    page.click("#ns-save-prefs")
    page.wait_for_selector("#ns-prefs-result .qcp-ok")
    # a colleague with no choices of their own now reads the hospital's setting
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        colleague = context.new_page()
        browser_sign_in(colleague, live_dash, "h025.viewer", "/dash/inbox")
        assert not colleague.locator("#ns-email-kinds label", has_text=frozen).locator("input").is_checked()
        assert colleague.locator("#ns-email-kinds label", has_text="上报被退回").locator("input").is_checked()
        assert colleague.get_by_label("应用于整个机构（管理员）").count() == 0  # not an admin
    finally:
        context.close()
    # another hospital's people are untouched
    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        tab = other.new_page()
        browser_sign_in(tab, live_dash, "h001.viewer", "/dash/inbox")
        assert tab.locator("#ns-email-kinds label", has_text=frozen).locator("input").is_checked()
    finally:
        other.close()
