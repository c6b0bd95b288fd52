"""``/api/v1/bulk-uploads`` through real HTTP with real signed tokens: 202 and a job to poll."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.bulk.conftest import QUARTER, csv_file
from tests.submission.support import GD, ZJ, provincial_admin, submitter

SMALL_REQUESTS = 4096  # the API's request cap here: a bulk file may pass it, nothing else may


@pytest.fixture(scope="module")
def live(bulk_db):
    from urllib.parse import urlparse

    from platform_api.app import create_app
    from platform_api.auth.dev_directory import DevClient, DevDirectory
    from platform_api.auth.dev_issuer import start_dev_issuer
    from platform_api.auth.verify import TokenVerifier
    from platform_api.settings import ApiSettings
    from tests.api_harness import LiveApi, ServerThread

    directory = DevDirectory(users=[], clients=[DevClient(client_id="qcp-dashboard", secret="test-secret")])
    issuer = start_dev_issuer(directory, host="127.0.0.1", port=0, realm="qcp")
    settings = ApiSettings(
        environment="test",
        dev_issuer=True,
        dev_issuer_port=urlparse(issuer.base_url).port,
        max_request_bytes=SMALL_REQUESTS,
    )
    verifier = TokenVerifier(server_url=issuer.base_url, realm="qcp")
    server = ServerThread(create_app(database=bulk_db.database, settings=settings, verifier=verifier)).start()
    api = LiveApi(base_url=server.base_url, issuer=issuer, directory=directory)
    yield api
    api.close()
    server.stop()
    issuer.stop()


def wait_for(client: Any, job_id: int) -> dict:
    for _ in range(200):
        job = client.get(f"/api/v1/bulk-uploads/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def post(client: Any, content: bytes, name: str = "q.csv", ctype: str = "text/csv", **params: Any) -> Any:
    return client.post(
        "/api/v1/bulk-uploads",
        params=params,
        files={"file": (name, content, ctype)},
        data={"quarter": QUARTER},
    )


def test_an_upload_answers_202_and_the_job_ends_stored(live, hospitals):
    admin = live.client_for(provincial_admin(ZJ))
    rows = [
        (hospitals.zj, QUARTER, "NIT-2023-I.1", 1, 10, None),
        (hospitals.zj2, QUARTER, "NIT-2023-I.1", 2, 10, None),
    ]
    answer = post(admin, csv_file(rows))
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"] == f"/api/v1/bulk-uploads/{answer.json()['id']}"
    job = wait_for(admin, answer.json()["id"])
    assert job["status"] == "succeeded" and job["progress"] == 1.0
    assert job["result"]["hospitals_passed"] == 2
    assert answer.json()["id"] in [j["id"] for j in admin.get("/api/v1/bulk-uploads").json()]


def test_a_foreign_hospital_is_refused_through_the_api(live, hospitals):
    admin = live.client_for(provincial_admin(ZJ))
    rows = [
        (hospitals.zj, QUARTER, "NIT-2023-I.1", 1, 10, None),
        (hospitals.gd_code, QUARTER, "NIT-2023-I.1", 1, 10, None),
    ]
    job = wait_for(admin, post(admin, csv_file(rows)).json()["id"])
    assert job["status"] == "refused"
    assert [(p["row"], p["code"]) for p in job["problems"]] == [(3, "hospital_not_found")]


def test_hospital_users_are_refused_and_other_provinces_see_no_job(live, hospitals):
    admin = live.client_for(provincial_admin(ZJ))
    job_id = post(
        admin, csv_file([(hospitals.zj, QUARTER, "NIT-2023-I.1", 1, 10, None)]), dry_run="true"
    ).json()["id"]
    wait_for(admin, job_id)
    hospital = live.client_for(submitter(hospitals.zj))
    answer = post(hospital, csv_file([(hospitals.zj, QUARTER, "NIT-2023-I.1", 1, 10, None)]))
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
    assert hospital.get(f"/api/v1/bulk-uploads/{job_id}").status_code == 403
    other = live.client_for(provincial_admin(GD))
    assert other.get(f"/api/v1/bulk-uploads/{job_id}").status_code == 404
    assert job_id not in [j["id"] for j in other.get("/api/v1/bulk-uploads").json()]


def test_wrong_file_types_and_bad_quarters_are_refused_at_once(live, hospitals):
    admin = live.client_for(provincial_admin(ZJ))
    assert post(admin, b"%PDF-1.4", name="x.pdf", ctype="application/pdf").status_code == 415
    answer = admin.post(
        "/api/v1/bulk-uploads", files={"file": ("q.csv", b"a,b\n", "text/csv")}, data={"quarter": "2023-2"}
    )
    assert answer.status_code == 422 and answer.json()["problems"][0]["code"] == "bad_quarter"
    assert admin.post("/api/v1/bulk-uploads", json={}).status_code == 415


def test_a_bulk_file_streams_past_the_request_cap_that_still_guards_other_routes(live, hospitals):
    admin = live.client_for(provincial_admin(ZJ))
    comment = "x" * 200
    rows = [(hospitals.zj, QUARTER, "NIT-2023-I.1", 1, 10, comment)] + [
        (hospitals.zj, QUARTER, f"NOPE-{i}", 1, 10, comment) for i in range(40)
    ]
    content = csv_file(rows)
    assert len(content) > SMALL_REQUESTS
    job = wait_for(admin, post(admin, content, dry_run="true").json()["id"])
    assert job["problem_count"] == 40 and job["problems"][0]["code"] == "unknown_indicator"
    big_json = {
        "values": [{"indicator": "NIT-2023-I.1", "numerator": 1, "denominator": 10, "comment": comment * 30}]
    }
    answer = admin.post(f"/api/v1/hospitals/{hospitals.zj}/submissions/{QUARTER}", json=big_json)
    assert answer.status_code == 413


def test_a_job_whose_worker_died_reads_as_failed_through_the_api(live, bulk_db, hospitals):
    from tests.bulk.test_bulk_stale import left_behind

    admin = live.client_for(provincial_admin(ZJ))
    job_id = left_behind(bulk_db)  # `running`, and no worker holds its lock
    job = admin.get(f"/api/v1/bulk-uploads/{job_id}").json()
    assert job["status"] == "failed" and job["phase"] == "done" and job["progress"] == 1.0
    assert "nothing of this upload was stored" in job["error"] and "upload the file again" in job["error"]
    again = post(admin, csv_file([(hospitals.zj, QUARTER, "NIT-2023-I.1", 1, 10, None)]))
    assert again.status_code == 202
    assert wait_for(admin, again.json()["id"])["status"] == "succeeded"


def test_the_reason_beside_the_file_has_the_single_uploads_limit(live, hospitals):
    from platform_api.routers.uploads import MAX_REASON

    admin = live.client_for(provincial_admin(ZJ))
    answer = admin.post(
        "/api/v1/bulk-uploads",
        files={
            "file": ("q.csv", csv_file([(hospitals.zj, QUARTER, "NIT-2023-I.1", 1, 10, None)]), "text/csv")
        },
        data={"quarter": QUARTER, "reason": "x" * (MAX_REASON + 1)},
    )
    assert answer.status_code == 422, answer.text
    assert {"field": "reason", "code": "too_long", "max": MAX_REASON} in answer.json()["problems"]
