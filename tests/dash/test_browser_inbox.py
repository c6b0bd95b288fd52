"""The inbox in a real browser: the header's unread count, the inbox page, mark read; the national
admin's job queue section. Another hospital never sees the notification."""

from __future__ import annotations

from services.core.actor import system_actor
from services.notification.record import record
from tests.dash.browser_support import browser_sign_in, settle


def _count(page) -> int:  # noqa: ANN001
    return int(page.inner_text("#inbox-count"))


def _returned_for_h001(live_dash) -> None:  # noqa: ANN001
    h001 = live_dash.hospitals["H001"]
    with live_dash.database.unit_of_work(system_actor("tests")) as s:
        record(
            s,
            kind="submission_returned",
            dedup_key="browser-inbox-h001",
            province_code="330000",
            hospital_id=h001,
            payload={
                "hospital_id": h001,
                "hospital_name": "浙江测试医院",
                "quarter": "2023Q4",
                "version": 2,
                "submission_id": 0,
                "comment": "浏览器测试退回",
            },
        )


def test_unread_count_inbox_and_mark_read(page, live_dash) -> None:  # noqa: ANN001
    _returned_for_h001(live_dash)
    browser_sign_in(page, live_dash, "h001.submitter")
    before = _count(page)
    assert before >= 1
    page.click("#inbox-link")
    settle(page)
    first = page.locator(".inbox-item").first
    assert "浏览器测试退回" in first.inner_text()
    first.locator(".inbox-mark-read").click()
    page.wait_for_function(f"() => document.querySelector('#inbox-count').innerText === '{before - 1}'")
    assert "浏览器测试退回" in page.locator(".inbox-item").first.inner_text()
    assert page.locator(".inbox-item").first.locator(".inbox-mark-read").count() == 0


def test_another_hospital_does_not_see_it(page, live_dash) -> None:  # noqa: ANN001
    _returned_for_h001(live_dash)
    browser_sign_in(page, live_dash, "h025.submitter", "/dash/inbox")
    assert "浏览器测试退回" not in page.inner_text("#page")


def test_national_admin_sees_the_job_queue(page, live_dash) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "nat.admin", "/dash/admin")
    assert page.locator("#jobs-section").count() == 1
    assert "notification.fan_out" in page.inner_text("#jobs-table")
    page.fill("#retry-job-id", "999999")
    page.click("#retry-job")
    page.wait_for_selector("#retry-result .qcp-error")
    assert "999999" in page.inner_text("#retry-result")


def test_provincial_admin_has_no_job_queue(page, live_dash) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.admin", "/dash/admin")
    assert page.locator("#jobs-section").count() == 0
