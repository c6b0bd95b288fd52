"""Scope is the session's, not the request's: data functions and forged callback requests."""

from __future__ import annotations

import json
import time

import pytest

from dash_app import data
from services.benchmark import views
from services.core.actor import Actor, Role
from services.core.errors import NotFound
from services.core.quarter import Quarter
from tests.dash.support import sign_in, update

Q = Quarter(2023, 3)


def hospital_actor(hospital_id: int) -> Actor:
    return Actor(
        subject="h", roles=frozenset({Role.HOSPITAL_VIEWER}), province="330000", hospital_id=hospital_id
    )


def test_hospital_user_reaches_only_its_own_hospital(demo_db) -> None:  # noqa: ANN001
    _, database, hospitals, _ = demo_db
    actor = hospital_actor(hospitals["H001"])
    assert data.hospital(database, actor, hospitals["H001"])["id"] == hospitals["H001"]
    for other in (hospitals["H002"], hospitals["H025"]):
        with pytest.raises(NotFound):
            data.hospital(database, actor, other)
        with pytest.raises(NotFound):
            data.hospital_series(database, actor, other, Q, "NIT-2023-I.1")
        with pytest.raises(NotFound):
            data.feedback_html(database, actor, other, Q)


def test_hospital_user_benchmark_shows_only_its_own_row(demo_db) -> None:  # noqa: ANN001
    _, database, hospitals, _ = demo_db
    report = data.benchmark(
        database, hospital_actor(hospitals["H001"]), quarter=Q, scope=None, indicator="NIT-2023-I.1"
    )
    rows = report["indicators"][0]["hospitals"]
    assert [r["hospital_id"] for r in rows] == [hospitals["H001"]]
    assert report["indicators"][0]["hospitals_reporting"] > 1  # the distribution is still the province's


def test_provincial_scope_options_stay_in_the_province(demo_db) -> None:  # noqa: ANN001
    _, database, _, _ = demo_db
    actor = Actor(subject="a", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="440000")
    values = [o["value"] for o in data.scope_options(database, actor)]
    assert "province:440000" in values
    assert not any("330000" in v or "510000" in v or v == "nation" for v in values)


def test_forged_router_request_for_another_hospital_answers_not_found(live_dash) -> None:  # noqa: ANN001
    client = sign_in(live_dash.base_url, "h001.submitter", live_dash.password)
    other = live_dash.hospitals["H002"]
    answer = update(
        client,
        "page.children",
        [
            {"id": "url", "property": "pathname", "value": f"/dash/hospital/{other}"},
            {"id": "url", "property": "search", "value": ""},
        ],
    )
    assert answer.status_code == 200
    body = json.dumps(answer.json(), ensure_ascii=False)
    assert "不存在" in body
    assert (
        data.hospital(live_dash.database, Actor("n", frozenset({Role.NATIONAL_ANALYST})), other)["name"]
        not in body
    )
    client.close()


def test_forged_national_page_request_by_provincial_user_is_refused(live_dash) -> None:  # noqa: ANN001
    client = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)
    answer = update(
        client,
        "page.children",
        [
            {"id": "url", "property": "pathname", "value": "/dash/national"},
            {"id": "url", "property": "search", "value": ""},
        ],
    )
    body = json.dumps(answer.json(), ensure_ascii=False)
    assert "无权" in body and "广东省" not in body
    client.close()


def test_session_refreshes_the_access_token_before_it_expires(live_dash) -> None:  # noqa: ANN001
    client = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)
    auth = live_dash.dash.server.config["QCP"].auth
    sid = auth.signer.session_id(client.cookies["qcp_dash"])
    session = auth.store.get(sid)
    old_refresh = session.refresh_token
    session.access_expires_at = 0  # the access token has expired
    auth.store.save(session)
    assert client.get("/dash/_dash-layout").status_code == 200
    renewed = auth.store.get(sid)
    assert renewed.refresh_token != old_refresh and renewed.access_expires_at > time.time()
    renewed.access_expires_at, renewed.refresh_token = 0, "revoked-by-the-provider"
    auth.store.save(renewed)
    assert client.get("/dash/_dash-layout").status_code == 401
    assert auth.store.get(sid) is None  # the provider refused: the session ended
    client.close()


def test_page_export_has_the_pages_rows_order_and_signals(demo_db) -> None:  # noqa: ANN001
    """The benchmark page's CSV: every hospital the page ranks, in the page's order (who lags first),
    with the signals of the page's over-dispersion setting."""
    _, database, _, _ = demo_db
    actor = Actor(subject="a", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
    for overdispersion in (False, True):
        page = data.benchmark(
            database, actor, quarter=Q, scope=None, indicator="NIT-2023-I.1", overdispersion=overdispersion
        )["indicators"][0]
        rows, _ = data.benchmark_table(
            database, actor, quarter=Q, scope=None, indicator="NIT-2023-I.1", overdispersion=overdispersion
        )
        expected = views.lagging_first(page["hospitals"], page["direction"])
        assert [(r["hospital_id"], r["signal"]) for r in rows] == [
            (r["hospital_id"], r["signal"]) for r in expected
        ]
