"""The registry and audit routers over HTTP, with real signed tokens verified by the production code.

A database of its own (API requests commit), the real app on uvicorn and the development issuer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text

from platform_api.app import create_app
from platform_api.auth.dev_directory import DevClient, DevDirectory
from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings
from services.core.actor import Actor, Role
from services.core.db import Database
from services.core.quarter import CHINA, Quarter
from tests.api_harness import LiveApi, ServerThread
from tests.db import fresh_database
from tests.registry.conftest import credit_code

ZJ = Actor("zj-admin", frozenset({Role.PROVINCIAL_ADMIN}), province="330000")
GD = Actor("gd-admin", frozenset({Role.PROVINCIAL_ADMIN}), province="440000")
NAT = Actor("nat-admin", frozenset({Role.NATIONAL_ADMIN}))
ZJ_ANALYST = Actor("zj-analyst", frozenset({Role.PROVINCIAL_ANALYST}), province="330000")


@pytest.fixture(scope="module")
def api() -> Iterator[LiveApi]:
    with fresh_database("qcp_registry_api") as urls:
        owner = create_engine(urls.owner)
        with owner.begin() as conn:
            conn.execute(text("UPDATE provinces SET onboarded_at = now() WHERE code IN ('330000', '440000')"))
        database = Database.from_url(urls.app, pool_size=5, max_overflow=5)
        directory = DevDirectory(users=[], clients=[DevClient(client_id="qcp-dashboard", secret="s")])
        issuer = start_dev_issuer(directory, realm="qcp")
        settings = ApiSettings(
            environment="test", dev_issuer=True, dev_issuer_port=urlparse(issuer.base_url).port
        )
        app = create_app(
            database=database,
            settings=settings,
            verifier=TokenVerifier(server_url=issuer.base_url, realm="qcp"),
        )
        server = ServerThread(app).start()
        live = LiveApi(base_url=server.base_url, issuer=issuer, directory=directory)
        live.owner = owner
        try:
            yield live
        finally:
            live.close()
            server.stop()
            issuer.stop()
            database.dispose()
            owner.dispose()


def _body(**overrides) -> dict:
    return {
        "credit_code": credit_code("330100"),
        "name": "杭州API医院",
        "level": "三级",
        "grade": "甲等",
        "type": "综合",
        "prefecture_code": "330100",
        "beds": 700,
        **overrides,
    }


def _hospital(client, **overrides) -> dict:
    response = client.post("/api/v1/hospitals", json=_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def test_register_read_update_deactivate(api):
    zj = api.client_for(ZJ)
    made = _hospital(zj)
    assert made["prefecture_name"] == "杭州市" and made["province_code"] == "330000"
    changed = zj.patch(f"/api/v1/hospitals/{made['id']}", json={"beds": 750, "reason": "扩建"})
    assert changed.status_code == 200 and changed.json()["beds"] == 750
    gone = zj.post(f"/api/v1/hospitals/{made['id']}/deactivate", json={"reason": "合并 / merged"})
    assert gone.json()["active"] is False
    assert zj.get(f"/api/v1/hospitals/{made['id']}").json()["deactivated_at"] is not None


def test_reports_from_defaults_to_the_registration_quarter_and_can_be_set_or_moved(api):
    zj = api.client_for(ZJ)
    made = _hospital(zj)
    assert made["reports_from"] == str(Quarter.containing(datetime.now(CHINA).date()))
    backfilled = _hospital(zj, reports_from="2022Q1")
    assert backfilled["reports_from"] == "2022Q1"
    unexplained = zj.patch(f"/api/v1/hospitals/{made['id']}", json={"reports_from": "2023Q3"})
    assert unexplained.status_code == 422 and unexplained.json()["problems"][0]["field"] == "reason"
    moved = zj.patch(
        f"/api/v1/hospitals/{made['id']}", json={"reports_from": "2023Q3", "reason": "补报 2023 年数据"}
    )
    assert moved.status_code == 200 and moved.json()["reports_from"] == "2023Q3"
    bad = zj.post("/api/v1/hospitals", json={**_body(), "reports_from": "2023Q5"})
    assert bad.status_code == 422 and "reports_from" in bad.text


def test_invalid_hospital_lists_every_problem(api):
    response = api.client_for(ZJ).post(
        "/api/v1/hospitals",
        json={
            "credit_code": "91350100M000100Y44",
            "name": "坏医院",
            "level": "三级",
            "grade": "甲等",
            "type": "综合",
            "prefecture_code": "440100",
            "beds": 10,
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_failed"
    assert {p["field"] for p in body["problems"]} == {"credit_code", "prefecture_code"}


def test_extra_fields_are_refused(api):
    response = api.client_for(ZJ).post("/api/v1/hospitals", json={"name": "x", "active": False})
    assert response.status_code == 422 and response.json()["error"] == "invalid_payload"


def test_other_province_gets_404_identical_to_a_missing_id_and_the_attempt_is_audited(api):
    made = _hospital(api.client_for(ZJ))
    gd = api.client_for(GD)
    foreign = gd.patch(f"/api/v1/hospitals/{made['id']}", json={"name": "被改名"})
    missing = gd.patch("/api/v1/hospitals/99999999", json={"name": "被改名"})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == missing.json()["detail"].replace("99999999", str(made["id"]))
    assert gd.get(f"/api/v1/hospitals/{made['id']}").status_code == 404
    assert made["id"] not in {h["id"] for h in gd.get("/api/v1/hospitals").json()}
    assert api.client_for(ZJ).get(f"/api/v1/hospitals/{made['id']}").json()["name"] == made["name"]
    denied = (
        api.client_for(NAT).get("/api/v1/audit", params={"outcome": "denied", "entity_id": made["id"]}).json()
    )
    assert [(e["action"], e["province_code"], e["actor_roles"]) for e in denied["items"]] == [
        ("hospital.update", "440000", ["provincial_admin"])
    ]


def test_analyst_is_refused_and_the_refusal_kept(api):
    response = api.client_for(ZJ_ANALYST).post(
        "/api/v1/hospitals",
        json={
            "credit_code": credit_code(),
            "name": "分析员医院",
            "level": "三级",
            "grade": "甲等",
            "type": "综合",
            "prefecture_code": "330100",
            "beds": 10,
        },
    )
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    page = (
        api.client_for(ZJ)
        .get("/api/v1/audit", params={"outcome": "denied", "action": "hospital.create"})
        .json()
    )
    assert [(e["actor_roles"], e["province_code"]) for e in page["items"]] == [
        (["provincial_analyst"], "330000")
    ]


def test_networks_membership_and_quarter_view(api):
    nat = api.client_for(NAT)
    center = nat.post(
        "/api/v1/qc-centers",
        json={"level": "provincial", "province_code": "330000", "name": "浙江省医疗质量控制中心"},
    )
    assert center.status_code == 201, center.text
    zj = api.client_for(ZJ)
    network = zj.post(
        "/api/v1/networks",
        json={"qc_center_id": center.json()["id"], "kind": "medical_alliance", "name": "杭州医联体"},
    ).json()
    hospital = _hospital(zj)
    url = f"/api/v1/networks/{network['id']}/members"
    first = zj.post(
        url, json={"hospital_id": hospital["id"], "valid_from": "2023-01-01", "valid_to": "2023-07-01"}
    )
    assert first.status_code == 201, first.text
    clash = zj.post(url, json={"hospital_id": hospital["id"], "valid_from": "2023-03-01"})
    assert clash.status_code == 409 and clash.json()["existing_id"] == first.json()["id"]
    assert [m["hospital_id"] for m in zj.get(url, params={"quarter": "2023Q2"}).json()] == [hospital["id"]]
    assert zj.get(url, params={"quarter": "2023Q3"}).json() == []
    assert zj.get(url, params={"quarter": "2023-Q3"}).status_code == 422
    assert api.client_for(GD).get(url, params={"quarter": "2023Q2"}).status_code == 404


def test_qc_centers_are_national_admin_business(api):
    response = api.client_for(ZJ).post(
        "/api/v1/qc-centers", json={"level": "provincial", "province_code": "330000", "name": "自建中心"}
    )
    assert response.status_code == 403


def test_audit_is_scoped_and_paged(api):
    _hospital(api.client_for(ZJ))
    _hospital(
        api.client_for(GD), credit_code=credit_code("440100"), prefecture_code="440100", name="广州API医院"
    )
    gd_view = api.client_for(GD).get("/api/v1/audit", params={"limit": 1}).json()
    assert len(gd_view["items"]) == 1 and gd_view["next_cursor"]
    everything = api.client_for(GD).get("/api/v1/audit", params={"limit": 500}).json()["items"]
    assert {e["province_code"] for e in everything} == {"440000"}
    national = api.client_for(NAT).get("/api/v1/audit", params={"limit": 500}).json()["items"]
    assert {"330000", "440000"} <= {e["province_code"] for e in national}
    assert api.client_for(ZJ_ANALYST).get("/api/v1/audit").status_code == 403
