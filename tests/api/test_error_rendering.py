"""Values the database refuses (NUL bytes in text) answer 422 with a clear error, never 500."""

from __future__ import annotations

from services.core.actor import Actor, Role


def test_nul_byte_in_a_query_parameter_is_a_clear_422(api):
    client = api.client_for(Actor("nul-test", frozenset({Role.NATIONAL_ADMIN})))
    response = client.get("/api/v1/hospitals", params={"prefecture_code": "33\x000100"})
    assert response.status_code == 422, response.text  # refused by the parameter's pattern already
    assert response.json()["error"] == "invalid_payload"


def test_nul_byte_in_a_text_field_is_a_clear_422(api):
    client = api.client_for(Actor("nul-test", frozenset({Role.NATIONAL_ADMIN})))
    response = client.post("/api/v1/qc-centers", json={"level": "national", "name": "质控\x00中心"})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_value" and "NUL" in response.json()["detail"]
