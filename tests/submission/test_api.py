"""The submission API through real HTTP with real signed tokens (committed data, unique hospitals).

Starts the same harness as ``tests/api_harness.py`` on the ``committed`` database (see conftest),
mounting the submission routers unless ``create_app`` already does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from tests.submission.support import GD, ZJ, add_hospital, ensure_year, provincial_admin, submitter

YEAR, QUARTER, CODE = 2009, "2009Q1", "TST-2009-I.1"


@pytest.fixture(scope="module")
def live(committed):
    app_database = committed.database
    from platform_api.app import create_app
    from platform_api.auth.dev_directory import DevClient, DevDirectory
    from platform_api.auth.dev_issuer import start_dev_issuer
    from platform_api.auth.verify import TokenVerifier
    from platform_api.settings import ApiSettings
    from tests.api_harness import LiveApi, ServerThread

    directory = DevDirectory(users=[], clients=[DevClient(client_id="qcp-dashboard", secret="test-secret")])
    issuer = start_dev_issuer(directory, host="127.0.0.1", port=0, realm="qcp")
    settings = ApiSettings(
        environment="test", dev_issuer=True, dev_issuer_port=urlparse(issuer.base_url).port
    )
    app = create_app(
        database=app_database,
        settings=settings,
        verifier=TokenVerifier(server_url=issuer.base_url, realm="qcp"),
    )
    server = ServerThread(app).start()
    api = LiveApi(base_url=server.base_url, issuer=issuer, directory=directory)
    yield api
    api.close()
    server.stop()
    issuer.stop()


@pytest.fixture
def hospitals(committed) -> dict[str, int]:
    with Session(committed.owner_engine) as session, session.begin():
        session.info["raw"] = True
        session.execute(text("SELECT pg_advisory_xact_lock(20091)"))
        ensure_year(session, YEAR, {"TST-2009-I": ("national", 1, [("1", "proportion")])})
        far = datetime.now(UTC) + timedelta(days=3650)
        for province in (ZJ, GD):
            session.execute(
                text(
                    "INSERT INTO submission_windows (province_code, quarter, opens_at, due_at, locks_at,"
                    " set_by) VALUES (:p, :q, '2009-04-01', :f, :f, 'tests')"
                    " ON CONFLICT (province_code, quarter) DO NOTHING"
                ),
                {"p": province, "q": QUARTER, "f": far},
            )
        return {
            "zj": add_hospital(session, ZJ, "接口测试医院"),
            "zj2": add_hospital(session, ZJ, "接口测试乙院"),
            "gd": add_hospital(session, GD, "接口测试广东"),
        }


def url(hospital_id: int, suffix: str = "") -> str:
    return f"/api/v1/hospitals/{hospital_id}/submissions/{QUARTER}{suffix}"


def body(num: int, den: int = 100, reason: str | None = None) -> dict:
    return {"values": [{"indicator": CODE, "numerator": num, "denominator": den}], "reason": reason}


def test_submit_read_correct_with_etag_and_history(live, hospitals):
    h = hospitals["zj"]
    client = live.client_for(submitter(h))
    first = client.post(url(h), json=body(5))
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"1"' and first.json()["status"] == "submitted"
    read = client.get(url(h))
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    fixed = client.post(url(h), json=body(6, reason="更正"), headers={"If-Match": read.headers["ETag"]})
    assert fixed.status_code == 200 and fixed.json()["version"] == 2
    stale = client.post(url(h), json=body(7, reason="更正"), headers={"If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["error"] == "conflict"
    assert stale.json()["current_version"] == 2
    history = client.get(url(h, "/history"), params={"indicator": CODE}).json()
    assert [(x["version"], x["numerator"]) for x in history] == [(1, 5), (2, 6)]


def test_idempotent_retry_and_key_reuse(live, hospitals):
    h = hospitals["zj2"]
    client = live.client_for(submitter(h, subject="idem"))
    headers = {"Idempotency-Key": "upload-42"}
    first = client.post(url(h), json=body(5), headers=headers)
    again = client.post(url(h), json=body(5), headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["version"] == first.json()["version"]
    other = client.post(url(h), json=body(9, reason="x"), headers=headers)
    assert other.status_code == 409 and "upload-42" in other.json()["detail"]
    assert len(client.get(url(h, "/history")).json()) == 1


def test_bad_payloads_answer_422_with_every_problem(live, hospitals):
    h = hospitals["zj"]
    client = live.client_for(submitter(h))
    shape = client.post(url(h), json={"values": [{"indicator": CODE, "numerator": "x", "denominator": 1}]})
    assert shape.status_code == 422 and shape.json()["error"] == "invalid_payload"
    rules = client.post(
        url(h),
        json={
            "values": [
                {"indicator": CODE, "numerator": -1, "denominator": 1},
                {"indicator": "NOPE.1", "numerator": 1, "denominator": 1},
            ]
        },
    )
    assert rules.status_code == 422 and rules.json()["error"] == "validation_failed"
    assert sorted(p["code"] for p in rules.json()["problems"]) == ["negative_count", "unknown_indicator"]
    assert client.post(url(h).replace(QUARTER, "2009Q5"), json=body(1)).json()["error"] == "validation_failed"
    assert client.post(url(h), json=body(1), headers={"If-Match": "abc"}).status_code == 422


def test_dry_run_saves_nothing(live, hospitals):
    h = hospitals["gd"]
    client = live.client_for(submitter(h, GD, subject="gd-sub"))
    dry = client.post(url(h), params={"dry_run": "true"}, json=body(5))
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert client.get(url(h)).json()["version"] == 0


def test_other_hospital_and_other_province_get_404(live, hospitals):
    h = hospitals["zj"]
    live.client_for(submitter(h)).post(url(h), json=body(5))
    assert live.client_for(submitter(hospitals["zj2"])).get(url(h)).status_code == 404
    assert live.client_for(provincial_admin(GD)).get(url(h)).status_code == 404
    assert live.client_for(submitter(hospitals["zj2"])).post(url(h), json=body(1)).status_code == 404
    assert live.anonymous().get(url(h)).status_code == 401


def test_review_flow_over_http(live, hospitals):
    h = hospitals["zj"]
    live.client_for(submitter(h)).post(url(h), json=body(5))
    admin = live.client_for(provincial_admin(ZJ))
    queue = admin.get("/api/v1/review-queue", params={"quarter": QUARTER}).json()
    assert h in [item["hospital_id"] for item in queue]
    assert admin.post(url(h, "/return"), json={"comment": ""}).status_code == 422
    returned = admin.post(url(h, "/return"), json={"comment": "请核对 / check"})
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    live.client_for(submitter(h)).post(url(h), json=body(4, reason="按意见更正"))
    approved = admin.post(url(h, "/approve"), json={"comment": "ok"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    locked = live.client_for(submitter(h)).post(url(h), json=body(3, reason="x"))
    assert locked.status_code == 409 and locked.json()["error"] == "submission_locked"
    assert live.client_for(submitter(h)).post(url(h, "/approve"), json={}).status_code == 403


def test_windows_and_completeness_over_http(live, hospitals):
    admin = live.client_for(provincial_admin(ZJ))
    window = admin.get(f"/api/v1/windows/{QUARTER}")
    assert window.status_code == 200 and window.json()["is_default"] is False
    default = admin.get("/api/v1/windows/2023Q3").json()
    assert default["opens_at"].startswith("2023-10-01T00:00:00")
    put = admin.put(
        "/api/v1/windows/2008Q4",
        json={
            "opens_at": "2009-01-01T00:00:00+08:00",
            "due_at": "2009-01-31T00:00:00+08:00",
            "locks_at": "2009-02-15T00:00:00+08:00",
        },
    )
    assert put.status_code == 200 and put.json()["is_default"] is False
    window_body = {k: put.json()[k] for k in ("opens_at", "due_at", "locks_at")}
    refused = live.client_for(submitter(hospitals["zj"])).put("/api/v1/windows/2008Q4", json=window_body)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    report = admin.get("/api/v1/completeness", params={"quarter": QUARTER})
    assert report.status_code == 200
    mine = {r["hospital_id"] for r in report.json()["hospitals"]}
    assert hospitals["zj"] in mine and hospitals["gd"] not in mine
    national = live.client_for(Actor(subject="nat", roles=frozenset({Role.NATIONAL_ANALYST})))
    everyone = {
        r["hospital_id"]
        for r in national.get("/api/v1/completeness", params={"quarter": QUARTER}).json()["hospitals"]
    }
    assert {hospitals["zj"], hospitals["gd"]} <= everyone


@pytest.mark.parametrize(
    ("caller", "province"),
    [
        (provincial_admin(GD), ZJ),  # another province's admin
        (provincial_admin(ZJ), GD),
        (provincial_admin(ZJ), "990000"),  # a province that does not exist answers the same
        (Actor(subject="nat", roles=frozenset({Role.NATIONAL_ANALYST})), "990000"),
    ],
    ids=["gd-admin-asks-zj", "zj-admin-asks-gd", "zj-admin-asks-missing", "national-asks-missing"],
)
def test_completeness_of_a_province_out_of_scope_answers_404(live, hospitals, caller, province):
    client = live.client_for(caller)
    answer = client.get("/api/v1/completeness", params={"quarter": QUARTER, "province_code": province})
    assert answer.status_code == 404, answer.text
    body = answer.json()
    assert body["error"] == "not_found" and body["detail"] == (
        f"省份 {province} 不存在 / province {province} does not exist"
    )
    assert "hospitals_expected" not in body


def test_completeness_of_own_province_by_code_still_answers(live, hospitals):
    own = live.client_for(provincial_admin(GD)).get(
        "/api/v1/completeness", params={"quarter": QUARTER, "province_code": GD}
    )
    assert own.status_code == 200, own.text
    assert hospitals["gd"] in {r["hospital_id"] for r in own.json()["hospitals"]}
    national = live.client_for(Actor(subject="nat", roles=frozenset({Role.NATIONAL_ANALYST})))
    zj = national.get("/api/v1/completeness", params={"quarter": QUARTER, "province_code": ZJ})
    assert zj.status_code == 200 and {r["province_code"] for r in zj.json()["hospitals"]} == {ZJ}
