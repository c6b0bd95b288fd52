"""The dashboards' sign-in, session cookie and guard, over HTTP (no browser)."""

from __future__ import annotations

import httpx

from tests.dash.support import layout, sign_in, update


def test_unauthenticated_page_redirects_to_login(live_dash) -> None:  # noqa: ANN001
    response = httpx.get(live_dash.base_url + "/dash/benchmark?quarter=2023Q4", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith("/dash/login?next=/dash/benchmark")


def test_refuses_callbacks_and_layout_without_session(live_dash) -> None:  # noqa: ANN001
    with httpx.Client(base_url=live_dash.base_url) as client:
        assert client.get("/dash/_dash-layout").status_code == 401
        assert client.get("/dash/_dash-dependencies").status_code == 401
        answer = update(
            client, "page.children", [{"id": "url", "property": "pathname", "value": "/dash/national"}]
        )
        assert answer.status_code == 401
        assert answer.json()["error"] == "unauthenticated"


def test_refuses_forged_session_cookie(live_dash) -> None:  # noqa: ANN001
    with httpx.Client(base_url=live_dash.base_url, cookies={"qcp_dash": "forged.value"}) as client:
        assert client.get("/dash/_dash-layout").status_code == 401


def test_sign_in_sets_httponly_lax_cookie_holding_only_an_id(live_dash) -> None:  # noqa: ANN001
    client = httpx.Client(base_url=live_dash.base_url, follow_redirects=False)
    response = client.get("/dash/login")
    assert response.status_code == 302
    location = response.headers["location"]
    assert "code_challenge_method=S256" in location and "code_challenge=" in location
    client.close()
    signed_in = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)
    cookie = next(c for c in signed_in.cookies.jar if c.name == "qcp_dash")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") == "Lax"
    assert "zj" not in cookie.value and "330000" not in cookie.value
    assert layout(signed_in).status_code == 200
    signed_in.close()


def test_callback_refuses_state_from_another_browser(live_dash) -> None:  # noqa: ANN001
    starter = httpx.Client(base_url=live_dash.base_url, follow_redirects=False)
    location = starter.get("/dash/login").headers["location"]
    state = httpx.QueryParams(location.split("?", 1)[1])["state"]
    other = httpx.Client(base_url=live_dash.base_url, follow_redirects=False)
    answer = other.get(f"/dash/callback?state={state}&code=whatever")
    assert answer.status_code == 400
    assert "sign-in-again" in answer.text
    starter.close()
    other.close()


def test_logout_ends_the_session(live_dash) -> None:  # noqa: ANN001
    client = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)
    assert layout(client).status_code == 200
    assert client.get("/dash/logout").status_code == 302
    stale = client.cookies.get("qcp_dash")
    assert stale is None
    assert layout(client).status_code == 401
    client.close()


def test_security_headers(live_dash) -> None:  # noqa: ANN001
    client = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)
    response = client.get("/dash/")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    client.close()


def test_login_next_never_leaves_the_dashboards(live_dash) -> None:  # noqa: ANN001
    client = sign_in(live_dash.base_url, "zj.analyst", live_dash.password, next_path="/dash/catalog")
    answer = client.get("/dash/lang/en?next=https://evil.example/")
    assert answer.headers["location"] == "/dash/"
    answer = client.get("/dash/lang/en?next=//evil.example/x")
    assert answer.headers["location"] == "/dash/"
    client.close()
