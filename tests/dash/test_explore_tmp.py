import pytest

from tests.dash.browser_support import browser_sign_in, settle
from tests.dash.conftest import screenshot


@pytest.mark.browser
@pytest.mark.parametrize("user,path", [("zj.admin", "/dash/review"), ("h001.submitter", "/dash/submit"),
                                       ("zj.admin", "/dash/admin"), ("zj.analyst", "/dash/")])
def test_explore(live_dash, page, user, path):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error",) else None)
    browser_sign_in(page, live_dash, user, path)
    page.wait_for_timeout(1500)
    settle(page)
    screenshot(page, f"explore-{user}-{path.strip('/').replace('/', '-')}")
    print("ERRORS", user, errors)
    print(page.inner_text("#page")[:300])
