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


def _app_raising(exc: Exception):  # noqa: ANN202
    from fastapi import FastAPI

    from platform_api.errors import install_error_handlers

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return app


def test_an_unexpected_error_answers_the_house_json_with_a_logged_request_id(caplog):
    from starlette.testclient import TestClient

    client = TestClient(_app_raising(RuntimeError("a bug")), raise_server_exceptions=False)
    with caplog.at_level("ERROR", logger="qcp.api"):
        response = client.get("/boom")
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "internal_error" and body["request_id"] in body["detail"]
    assert response.headers["X-Request-ID"] == body["request_id"]
    assert any(body["request_id"] in r.getMessage() for r in caplog.records)  # the same id in the log
    assert "a bug" not in response.text  # the exception's text stays in the log


def test_a_unique_violation_nobody_foresaw_answers_a_named_409(owner_engine):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError
    from starlette.testclient import TestClient

    with owner_engine.connect() as conn:  # a real violation from PostgreSQL, rolled back
        conn.execute(text("CREATE TEMP TABLE race_example (k int CONSTRAINT uq_race_example_k UNIQUE)"))
        conn.execute(text("INSERT INTO race_example VALUES (1)"))
        try:
            conn.execute(text("INSERT INTO race_example VALUES (1)"))
        except IntegrityError as exc:
            violation = exc
        conn.rollback()
    client = TestClient(_app_raising(violation), raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 409
    assert response.json()["error"] == "conflict" and response.json()["constraint"] == "uq_race_example_k"
    assert "INSERT" not in response.text and "race_example VALUES" not in response.text
