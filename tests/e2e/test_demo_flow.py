"""End to end on the demo data, through real HTTP with real tokens: a hospital corrects its current
quarter, the provincial QC admin approves it, and the benchmark shows the new numbers."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from services.core.actor import Actor, Role

QUARTER, CODE = "2023Q4", "NIT-2023-I.1"


@pytest.fixture(scope="module")
def actors(demo_ids):
    hospitals, centers = demo_ids["hospitals"], demo_ids["centers"]
    return {
        "submitter": Actor(
            "e2e-h001", frozenset({Role.HOSPITAL_SUBMITTER}), province="330000", hospital_id=hospitals["H001"]
        ),
        "admin": Actor(
            "e2e-zj-admin",
            frozenset({Role.PROVINCIAL_ADMIN}),
            province="330000",
            qc_center_id=centers["330000"],
        ),
        "gd_admin": Actor(
            "e2e-gd-admin",
            frozenset({Role.PROVINCIAL_ADMIN}),
            province="440000",
            qc_center_id=centers["440000"],
        ),
        "hospital": hospitals["H001"],
    }


def _row(body: dict, hospital_id: int) -> dict:
    [indicator] = [i for i in body["indicators"] if i["indicator_code"] == CODE]
    return next(h for h in indicator["hospitals"] if h["hospital_id"] == hospital_id)


def test_corrected_and_approved_submission_appears_in_the_benchmark(demo_api, actors):
    hospital = actors["hospital"]
    base = f"/api/v1/hospitals/{hospital}/submissions/{QUARTER}"
    submitter, admin = demo_api.client_for(actors["submitter"]), demo_api.client_for(actors["admin"])
    current = submitter.get(base)
    assert current.status_code == 200 and current.json()["status"] == "submitted"
    corrected = submitter.post(
        base,
        json={
            "values": [{"indicator": CODE, "numerator": 101, "denominator": 117}],
            "reason": "补录 2 例转运 PCI / two transfer PCIs were missed",
        },
        headers={"If-Match": current.headers["ETag"]},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["changed"] == [CODE]
    params = {"indicator": CODE, "quarter": QUARTER, "scope": "province:330000"}
    before = admin.get("/api/v1/benchmarks", params=params).json()
    assert all(
        h["hospital_id"] != hospital for i in before["indicators"] for h in i["hospitals"]
    )  # not approved yet
    approved = admin.post(f"{base}/approve", json={"comment": "已核对 / checked"})
    assert approved.status_code == 200, approved.text
    row = _row(admin.get("/api/v1/benchmarks", params=params).json(), hospital)
    assert (row["numerator"], row["denominator"]) == (101, 117)
    events = submitter.get(f"{base}/events").json()
    assert [e["action"] for e in events][-2:] == ["correct", "approve"]
    history = submitter.get(f"{base}/history", params={"indicator": CODE}).json()
    assert [h["version"] for h in history] == [1, 2] and history[-1]["reason"].startswith("补录")


def test_applicability_is_managed_by_the_province_and_read_by_the_hospital(demo_api, actors):
    hospital = actors["hospital"]
    admin, submitter = demo_api.client_for(actors["admin"]), demo_api.client_for(actors["submitter"])
    put = admin.put(
        f"/api/v1/hospitals/{hospital}/applicability",
        json={
            "goal": "PIT-2023-39",
            "status": "not_applicable",
            "reason": "本院无重症医学科 / no intensive care unit",
        },
    )
    assert put.status_code == 200, put.text
    listed = submitter.get(f"/api/v1/hospitals/{hospital}/applicability").json()
    assert {"goal": "PIT-2023-39", "status": "not_applicable"}.items() <= next(
        a for a in listed if a["goal"] == "PIT-2023-39"
    ).items()
    refused = submitter.put(
        f"/api/v1/hospitals/{hospital}/applicability",
        json={"goal": "PIT-2023-15", "status": "not_applicable", "reason": "x"},
    )
    assert refused.status_code == 403


def test_cross_province_write_is_refused_like_a_missing_hospital_and_audited_as_denied(
    demo_api, actors, demo_db_urls
):
    gd_admin = demo_api.client_for(actors["gd_admin"])
    body = {"comment": "越权 / out of scope"}
    engine = create_engine(demo_db_urls.owner)

    def denied() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM audit_log WHERE outcome = 'denied'")).scalar()

    before = denied()
    foreign = gd_admin.post(
        f"/api/v1/hospitals/{actors['hospital']}/submissions/{QUARTER}/approve", json=body
    )
    missing = gd_admin.post(f"/api/v1/hospitals/999999/submissions/{QUARTER}/approve", json=body)
    after = denied()
    engine.dispose()
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"] == missing.json()["error"]
    assert after - before == 2


def test_provincial_min_denominator_and_target_change_the_benchmark(demo_api, actors, demo_ids):
    center = demo_ids["centers"]["330000"]
    admin = demo_api.client_for(actors["admin"])
    code = "PIT-2023-24.1"  # an indicator other tests do not benchmark with a target
    params = {"indicator": code, "quarter": "2023Q3", "scope": "province:330000"}
    put = admin.put(f"/api/v1/qc-centers/{center}/targets/{code}", json={"target": "0.9", "note": "省级目标"})
    assert put.status_code == 200, put.text
    put = admin.put(f"/api/v1/qc-centers/{center}/benchmark-settings", json={"min_denominator": 5000})
    assert put.status_code == 200, put.text
    [indicator] = admin.get("/api/v1/benchmarks", params=params).json()["indicators"]
    assert indicator["target"] == pytest.approx(90.0) and indicator["target_source"] != "pooled"
    assert indicator["min_denominator"] == 5000
    small = [h for h in indicator["hospitals"] if 0 < h["denominator"] < 5000]
    assert small and all(h["signal"] == "insufficient" for h in small)
    foreign = admin.put(
        f"/api/v1/qc-centers/{demo_ids['centers']['440000']}/benchmark-settings", json={"min_denominator": 5}
    )
    missing = admin.put("/api/v1/qc-centers/999999/benchmark-settings", json={"min_denominator": 5})
    assert foreign.status_code == missing.status_code == 404
    admin.put(f"/api/v1/qc-centers/{center}/benchmark-settings", json={"min_denominator": 10})  # restore
