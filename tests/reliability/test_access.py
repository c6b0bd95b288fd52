"""Access: rate limiting per client (429 + Retry-After), security headers, expiring sessions, and
denied attempts in the audit log — through real HTTP with real signed tokens."""

from __future__ import annotations

import asyncio
import math
import time

import httpx
import pytest

from platform_api.rate_limit import SharedRateLimiter
from services.core.actor import Role
from tests.reliability.conftest import QUARTER
from tests.reliability.support import actor, start_api, stop_api, write_artifact

FIGURES: dict[str, int] = {"requests": 0, "limited": 0}


@pytest.fixture(scope="module")
def limited_api(rel):
    """An API whose clients may send 5 requests at once, then one a second."""
    live, server = start_api(rel.database, rate_limit_per_minute=60, rate_limit_burst=5)
    yield live
    stop_api(live, server)


def _burst(client: httpx.Client, n: int, path: str = "/api/v1/me") -> list[httpx.Response]:
    out = [client.get(path) for _ in range(n)]
    FIGURES["requests"] += n
    FIGURES["limited"] += sum(r.status_code == 429 for r in out)
    return out


def test_limiter_refills_after_its_window():
    async def run() -> tuple[list[float], float, float]:
        limiter = SharedRateLimiter(60, 2, storage_url="memory://", key_prefix="unit")
        first = [await limiter.take("a") for _ in range(3)]
        other = await limiter.take("b")  # another client has its own counters
        await asyncio.sleep(math.ceil(first[-1]))
        return first, other, await limiter.take("a")

    first, other, later = asyncio.run(run())
    assert first[:2] == [0.0, 0.0] and 1 <= first[2] <= 2
    assert other == 0.0 and later == 0.0


def test_rate_limit_answers_429_with_retry_after_per_client(limited_api, rel):
    hospital = rel.add_hospital("330000", "限流医院")
    first = limited_api.client_for(actor(Role.HOSPITAL_SUBMITTER, "rl-a", "330000", hospital))
    second = limited_api.client_for(actor(Role.HOSPITAL_SUBMITTER, "rl-b", "330000", hospital))
    answers = _burst(first, 8)
    assert [r.status_code for r in answers[:5]] == [200] * 5
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited" and "too many requests" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-Content-Type-Options"] == "nosniff"  # refusals carry the headers too
    assert all(r.status_code == 200 for r in _burst(second, 5))  # one client limited does not limit another
    time.sleep(int(refused.headers["Retry-After"]))
    assert _burst(first, 1)[0].status_code == 200


def test_rate_limit_covers_submissions(limited_api, rel):
    hospital = rel.add_hospital("330000", "限流上报医院")
    client = limited_api.client_for(actor(Role.HOSPITAL_SUBMITTER, "rl-sub", "330000", hospital))
    body = {"values": [{"indicator": "TST-2009-I.1", "numerator": 1, "denominator": 10}]}
    codes = []
    for _ in range(7):
        codes.append(
            client.post(f"/api/v1/hospitals/{hospital}/submissions/{QUARTER}", json=body).status_code
        )
    FIGURES["requests"] += 7
    FIGURES["limited"] += codes.count(429)
    assert codes[0] == 200 and codes[-1] == 429


def test_forged_tokens_count_against_the_ip_not_a_new_client(limited_api):
    anon = limited_api.anonymous()
    codes = [
        anon.get("/api/v1/me", headers={"Authorization": f"Bearer forged.{n}.token"}).status_code
        for n in range(8)
    ]
    FIGURES["requests"] += 8
    FIGURES["limited"] += codes.count(429)
    assert set(codes[:5]) == {401} and codes[-1] == 429


def test_security_headers_on_api_responses(rel_api):
    client = rel_api.client_for(actor(Role.NATIONAL_ANALYST, "hdr-nat"))
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    h = response.headers
    assert (
        "default-src 'none'" in h["Content-Security-Policy"]
        and "frame-ancestors 'none'" in h["Content-Security-Policy"]
    )
    assert h["X-Content-Type-Options"] == "nosniff" and h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "no-referrer" and "camera=()" in h["Permissions-Policy"]
    assert h["Cache-Control"] == "no-store"  # authenticated
    assert "Strict-Transport-Security" not in h  # plain HTTP and not declared behind TLS
    public = rel_api.anonymous().get("/health")
    assert public.headers["X-Frame-Options"] == "DENY" and "no-store" not in public.headers.get(
        "Cache-Control", ""
    )


def test_docs_page_csp_allows_swagger_and_hashes_its_inline_script(rel_api):
    response = rel_api.anonymous().get("/docs")
    csp = response.headers["Content-Security-Policy"]
    assert response.status_code == 200
    assert (
        "https://cdn.jsdelivr.net" in csp
        and "'sha256-" in csp
        and "'unsafe-inline'" not in csp.split("style-src")[0]
    )


def test_hsts_when_behind_tls(rel):
    live, server = start_api(rel.database, behind_tls=True)
    try:
        response = live.anonymous().get("/health")
    finally:
        stop_api(live, server)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_expired_token_is_refused_with_401(rel_api):
    user = actor(Role.NATIONAL_ANALYST, "exp-nat")
    rel_api.token_for(user)
    username = rel_api.directory.users[-1].username
    now = int(time.time())
    token = rel_api.issuer.user_token(username, iat=now - 7200, exp=now - 3600)
    response = httpx.get(f"{rel_api.base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json()["error"] == "expired"
    assert response.headers["Cache-Control"] == "no-store"


def test_cross_tenant_write_is_refused_and_audited_as_denied(rel_api, rel):
    mine = rel.add_hospital("330000", "审计浙江医院")
    theirs = rel.add_hospital("440000", "审计广东医院")
    client = rel_api.client_for(actor(Role.HOSPITAL_SUBMITTER, f"audit-zj-{mine}", "330000", mine))
    subject = client.get("/api/v1/me").json()["subject"]
    body = {"values": [{"indicator": "TST-2009-I.1", "numerator": 1, "denominator": 10}]}
    response = client.post(f"/api/v1/hospitals/{theirs}/submissions/{QUARTER}", json=body)
    assert response.status_code in (403, 404)
    rows = rel.rows(
        "SELECT outcome, action, province_code FROM audit_log WHERE actor_subject = :s", s=subject
    )
    assert [r.outcome for r in rows] == ["denied"]
    assert rows[0].province_code == "330000"  # the caller's province: the target's is not revealed
    assert rel.scalar("SELECT count(*) FROM submissions WHERE hospital_id = :h", h=theirs) == 0


def test_dashboard_sessions_expire(rel):
    pytest.importorskip("dash_app.app")
    live, server = start_api(rel.database, dashboards=True)
    try:
        app = server.server.config.app
        if getattr(app.state, "dashboards", None) is None:
            pytest.skip("dashboards are not mounted")
        _check_dash_session_expiry(live, app)
    finally:
        stop_api(live, server)


def _check_dash_session_expiry(live, app) -> None:  # noqa: ANN001
    from dash_app.auth import SESSION_COOKIE

    ctx = app.state.dashboards.server.config["QCP"].auth
    session = ctx.store.create(
        actor(Role.NATIONAL_ANALYST, "dash-exp"),
        refresh_token=None,
        access_expires_at=time.time() + 3600,
        lang="zh",
    )
    cookies = {SESSION_COOKIE: ctx.signer.sign_session(session.sid)}
    fresh = httpx.get(f"{live.base_url}/dash/", cookies=cookies)
    assert fresh.status_code == 200
    assert "script-src" in fresh.headers["Content-Security-Policy"]
    assert fresh.headers["X-Frame-Options"] == "DENY"
    session.last_seen -= ctx.store.idle + 1  # idle for longer than the idle timeout
    ctx.store.save(session)  # the store is shared by workers (PostgreSQL): write the change back
    expired = httpx.get(f"{live.base_url}/dash/", cookies=cookies)
    assert expired.status_code in (302, 303, 401) and "/dash/login" in expired.headers.get(
        "location", "/dash/login"
    )


def test_zz_write_access_figures():
    write_artifact("access", {"rate_limit_requests": FIGURES["requests"], "rate_limited": FIGURES["limited"]})
