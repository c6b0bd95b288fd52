"""Every error answered under /fhir is an OperationOutcome (application/fhir+json), including the
guards in front of the router (body size, JSON depth and numbers), authentication and rate limits
(issue 21); the same requests elsewhere keep the house JSON error (the control)."""

from __future__ import annotations

import json

import pytest

from tests.submission_io.test_api import FHIR, fhir_report, hospital, live, stored, system  # noqa: F401


def assert_outcome(answer, status: int, code: str, house_error: str | None = None) -> dict:  # noqa: ANN001
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/fhir+json")
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    [issue] = outcome["issue"]
    assert issue["code"] == code and issue["severity"] == "error" and " / " in issue["diagnostics"]
    if house_error:
        assert issue["details"]["text"] == house_error
    return issue


def deep(levels: int) -> bytes:
    return b'{"resourceType": "MeasureReport", "x": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("path", ["/fhir/MeasureReport", "/fhir"])
def test_the_body_guards_answer_operation_outcomes_and_store_nothing(live, hospital, owner_engine, path):  # noqa: ANN001, F811
    client = live.client_for(system(hospital["id"]))
    too_big = client.post(path, content=b"{" + b" " * (6 * 1024 * 1024) + b"}", headers=FHIR)
    assert_outcome(too_big, 413, "too-costly", "request_too_large")
    too_deep = client.post(path, content=deep(60), headers=FHIR)
    assert_outcome(too_deep, 400, "structure", "json_too_deep")
    not_finite = json.dumps(fhir_report(hospital)).replace('"count": 2', '"count": NaN').encode()
    assert b"NaN" in not_finite
    assert_outcome(client.post(path, content=not_finite, headers=FHIR), 422, "invalid")
    assert stored(owner_engine, hospital["id"]) == {}


def test_a_missing_or_forged_token_answers_an_operation_outcome(live, hospital):  # noqa: ANN001, F811
    anonymous = live.anonymous().post("/fhir/MeasureReport", json=fhir_report(hospital), headers=FHIR)
    assert_outcome(anonymous, 401, "login")
    forged = live.anonymous().post(
        "/fhir/MeasureReport",
        json=fhir_report(hospital),
        headers={**FHIR, "Authorization": "Bearer forged.x.y"},
    )
    assert_outcome(forged, 401, "login")


def test_the_same_guard_elsewhere_keeps_the_house_json_error(live, hospital):  # noqa: ANN001, F811
    client = live.client_for(system(hospital["id"]))
    answer = client.post(
        f"/api/v1/hospitals/{hospital['id']}/submissions/2008Q1",
        content=deep(60),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"] == "json_too_deep"


def test_a_successful_answer_is_left_alone(live, hospital, owner_engine):  # noqa: ANN001, F811
    client = live.client_for(system(hospital["id"]))
    sent = client.post("/fhir/MeasureReport", json=fhir_report(hospital), headers=FHIR)
    assert sent.status_code == 200 and sent.json()["issue"][0]["severity"] == "information"
