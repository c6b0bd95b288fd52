"""Every dashboard page, as each persona sees it, has no serious or critical WCAG 2.1 A/AA
violation under axe-core 4.14 (GB/T 37668-2019 asks public web systems for that level), and a
hospital submitter can enter, check and submit a quarter with the keyboard alone."""

from __future__ import annotations

import pytest

from tests.dash.a11y import AXE_JS, summary, violations
from tests.dash.browser_support import browser_sign_in, settle
from tests.dash.conftest import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not AXE_JS.exists(), reason="axe-core not installed (./dev test runs npm ci in tests/a11y)"
    ),
]

Q = "quarter=2023Q4"
PERSONAS = {
    "nat.analyst": ["/dash/national", f"/dash/benchmark?indicator=NIT-2023-I.1&{Q}", "/dash/catalog"],
    "zj.admin": [
        "/dash/province",
        "/dash/admin",
        "/dash/review",
        f"/dash/benchmark?indicator=NIT-2023-II.1&{Q}",
    ],
    "zj.analyst": ["/dash/province", "/dash/catalog", "/dash/hospital"],
    "zj.icu": ["/dash/review", f"/dash/benchmark?{Q}"],
    "h001.submitter": [f"/dash/submit?{Q}", "/dash/hospital", "/dash/inbox"],
    "h001.viewer": ["/dash/hospital", f"/dash/benchmark?{Q}"],
}


@pytest.mark.parametrize("user", sorted(PERSONAS))
def test_no_serious_or_critical_violation_on_any_page(live_dash, page, user) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, user, PERSONAS[user][0])
    found = {}
    for path in PERSONAS[user]:
        page.goto(live_dash.base_url + path)
        settle(page)
        if hits := violations(page):
            found[path] = summary(hits)
    assert not found, "\n".join(f"{path}:\n{text}" for path, text in found.items())


def _tab_to(tab, predicate: str, limit: int = 400, key: str = "Tab") -> None:  # noqa: ANN001
    for _ in range(limit):
        tab.keyboard.press(key)
        if tab.evaluate(predicate):
            return
    raise AssertionError(f"the keyboard never reached {predicate}")


def test_submitter_enters_checks_and_submits_with_the_keyboard_alone(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "h001.submitter", f"/dash/submit?{Q}")
    on_numerator = (
        "() => (document.activeElement.id || '').includes('NIT-2023-II.1')"
        " && document.activeElement.id.includes('sub-num')"
    )
    _tab_to(page, on_numerator)
    page.keyboard.press("Control+A")
    page.keyboard.type("500")  # more than the denominator: refused
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("10")
    _tab_to(page, "() => document.activeElement.id === 'sub-check'")
    page.keyboard.press("Enter")
    errors = page.wait_for_selector("#sub-errors[role=alert]")  # announced by screen readers at once
    assert "NIT-2023-II.1" in errors.inner_text()
    _tab_to(page, on_numerator, key="Shift+Tab")  # back to the box the error names
    page.keyboard.press("Control+A")
    page.keyboard.type("5")
    _tab_to(page, "() => document.activeElement.id === 'sub-reason'")
    page.keyboard.type("更正：键盘录入 / correction typed with the keyboard")
    _tab_to(page, "() => document.activeElement.id === 'sub-send'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sub-result #sub-ok")
    screenshot(page, "submission-keyboard")
