"""Browser helpers: sign in through the issuer's login form, wait for Dash to settle."""

from __future__ import annotations


def browser_sign_in(tab, live, username: str, path: str = "/dash/") -> None:  # noqa: ANN001
    tab.goto(live.base_url + path)
    tab.wait_for_selector("#kc-form-login")
    tab.fill("#username", username)
    tab.fill("#password", live.password)
    tab.click("#kc-login")
    tab.wait_for_url(f"{live.base_url}/dash/**")
    settle(tab)


def settle(tab) -> None:  # noqa: ANN001
    """Dash has rendered the page: the router filled #page and no callback is pending."""
    tab.wait_for_selector("#page > *")
    tab.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    tab.wait_for_load_state("networkidle")


def choose(tab, dropdown_id: str, text: str) -> None:  # noqa: ANN001
    """Pick the option showing ``text`` in a Dash 4 dcc.Dropdown."""
    tab.click(f"#{dropdown_id}")
    search = tab.locator(".dash-dropdown-search")
    if search.count():
        search.first.fill(text)
    tab.get_by_role("option", name=text).first.click()
    tab.keyboard.press("Escape")
