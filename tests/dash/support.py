"""Signing in to the dashboards without a browser: the real authorization code + PKCE flow over httpx."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import httpx


def hidden_fields(html: str) -> dict[str, str]:
    return {
        m[0]: unescape(m[1]) for m in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }


def sign_in(base_url: str, username: str, password: str, *, next_path: str = "/dash/") -> httpx.Client:
    """A client holding a dashboard session cookie for ``username`` (follows every redirect by hand)."""
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
    response = client.get(next_path)
    assert response.status_code == 302, response.text
    login = client.get(response.headers["location"])  # /dash/login → the issuer
    assert login.status_code == 302 and "/protocol/openid-connect/auth" in login.headers["location"]
    auth_url = login.headers["location"]
    form = httpx.get(auth_url, timeout=30)
    assert form.status_code == 200, form.text
    fields = {**hidden_fields(form.text), "username": username, "password": password}
    answer = httpx.post(auth_url.split("?")[0], data=fields, timeout=30)
    assert answer.status_code == 302, answer.text
    back = client.get(answer.headers["location"])  # /dash/callback
    assert back.status_code == 302, back.text
    assert back.headers["location"].startswith("/dash/")
    return client


def layout(client: httpx.Client) -> httpx.Response:
    return client.get("/dash/_dash-layout")


def update(client: httpx.Client, output: str, inputs: list[dict], outputs=None, state=None) -> httpx.Response:  # noqa: ANN001
    """POST one callback request as the Dash renderer would (the browser can forge exactly this)."""
    body = {
        "output": output,
        "outputs": outputs or _outputs(output),
        "inputs": inputs,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
        "state": state or [],
    }
    return client.post("/dash/_dash-update-component", json=body)


def _outputs(output: str) -> dict | list:
    parts = output.strip(".").split("...")
    found = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    return found[0] if len(found) == 1 else found


def absolute(base: str, location: str) -> str:
    return urljoin(base, location)
