import pytest
from tests.dash.browser_support import browser_sign_in, settle
from tests.dash.conftest import screenshot

@pytest.mark.browser
def test_explore(live_dash, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    browser_sign_in(page, live_dash, "zj.analyst", "/dash/catalog")
    screenshot(page, "explore-catalog")
    print("ERRORS", errors)
    print(page.inner_text("#page")[:500])
