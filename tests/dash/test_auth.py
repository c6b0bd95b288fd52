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


def test_another_hospitals_report_answers_a_bilingual_not_found(live_dash) -> None:  # noqa: ANN001
    client = sign_in(live_dash.base_url, "h001.viewer", live_dash.password)
    neighbour = live_dash.hospitals["H002"]
    answer = client.get(f"/dash/report/{neighbour}/2023Q4")
    assert answer.status_code == 404
    assert "未找到该页面或您无权查看" in answer.text and "Not found" in answer.text
    missing = client.get(f"/dash/report/{10**9}/2023Q4")  # the same answer for one that does not exist
    assert missing.status_code == 404 and missing.text == answer.text
    own = client.get(f"/dash/report/{live_dash.hospitals['H001']}/2023Q4")
    assert own.status_code == 200 and "杭州市第一人民医院" in own.text
    client.close()


def test_favicon_is_served_at_the_origin_and_in_the_dashboards(live_dash) -> None:  # noqa: ANN001
    with httpx.Client(base_url=live_dash.base_url) as client:
        icon = client.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    signed_in = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)
    page = signed_in.get("/dash/")
    assert '<html lang="zh-CN">' in page.text
    assert '<link rel="icon" type="image/x-icon" href="/dash/assets/favicon.ico' in page.text
    assert signed_in.get("/dash/assets/favicon.ico").content == icon.content
    signed_in.close()
