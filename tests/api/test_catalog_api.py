"""Public catalog API: read without login, as the restricted app role, through the live API."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(api):
    return api.anonymous()


def test_catalog_of_a_year_is_public(client):
    response = client.get("/api/v1/catalog/2023")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "qcp-catalog-export/1"
    assert len(body["goals"]) == 49 and len(body["specialties"]) == 40
    goal = next(g for g in body["goals"] if g["code"] == "NIT-2023-VI")
    assert goal["direction"] == "higher"
    assert goal["lineage"][0]["from_code"] == "NIT-2022-IX"
    assert goal["indicators"][0]["direction"] == "lower"


def test_unpublished_year_is_404_with_a_bilingual_message(client):
    response = client.get("/api/v1/catalog/2031")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found" and " / " in response.json()["detail"]


def test_diff_between_years(client):
    response = client.get("/api/v1/catalog/diff", params={"from": 2022, "to": 2023})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["retired"] == ["NIT-2022-VIII"]
    assert body["moved_to_specialty"] == ["NIT-2022-IV → PIT-2023-37"]
    assert body["direction_changed"] == ["NIT-2022-IX → NIT-2023-VI"]


def test_diff_needs_from_before_to(client):
    assert client.get("/api/v1/catalog/diff", params={"from": 2023, "to": 2022}).status_code == 422
    assert client.get("/api/v1/catalog/diff", params={"from": 2022}).status_code == 422
