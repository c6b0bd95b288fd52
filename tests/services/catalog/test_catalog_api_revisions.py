"""The public catalog API shows each year's current revision, the revision history with reasons and
diffs, and the qcp-catalog/2 fields (through the live API, as the restricted app role)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(api):
    return api.anonymous()


def test_years_list_their_current_revision(client):
    response = client.get("/api/v1/catalog")
    assert response.status_code == 200, response.text
    years = {y["year"]: y for y in response.json()}
    assert {2021, 2022, 2023, 2024, 2025, 2026} <= set(years)
    assert years[2022]["revision"] >= 2 and years[2021]["revision"] == 1


def test_a_revised_year_shows_its_revision_reason_and_history(client):
    body = client.get("/api/v1/catalog/2022").json()
    assert body["revision"] >= 2 and body["revision_reason"] and body["file_format"] == "qcp-catalog/2"
    assert [r["revision"] for r in body["revisions"]] == list(range(1, body["revision"] + 1))
    assert body["sources"] and all(g["verification"] for g in body["goals"])
    revisions = client.get("/api/v1/catalog/2022/revisions").json()
    assert revisions[0]["diff"] is None and revisions[-1]["diff"]["to_revision"] == body["revision"]
    assert any(e.startswith("NIT-2021-") for e in revisions[-1]["diff"]["lineage_added"])


def test_revisions_of_an_unpublished_year_is_404(client):
    response = client.get("/api/v1/catalog/2031/revisions")
    assert response.status_code == 404 and " / " in response.json()["detail"]
