"""Dashboard callbacks given a scope the user may not see answer a clear refusal, never a 500
(issue 21). Each request is what a browser can forge: the Dash callback endpoint with a
province, hospital or scope of another tenant, or a malformed one, as a signed-in 330000 user."""

from __future__ import annotations

import httpx
import pytest

from tests.dash.support import sign_in, update

QUARTER = "2023Q2"
REFUSAL = "未找到或无权查看该范围 / not found, or not yours to see"


@pytest.fixture(scope="module")
def zj(live_dash) -> httpx.Client:  # noqa: ANN001
    client = sign_in(live_dash.base_url, "zj.analyst", live_dash.password)
    yield client
    client.close()


def v(id_: str, prop: str, value: object) -> dict:
    return {"id": id_, "property": prop, "value": value}


def forged_calls(hospitals: dict[str, int]) -> list[tuple[str, str, list[dict], list[dict]]]:
    other = hospitals["H025"]  # a 440000 hospital
    bm_state = [v("bm-quarter", "value", QUARTER)]
    return [
        (
            "benchmark view of another province",
            "..bm-summary.children...bm-funnel.figure...bm-dots.figure...bm-table.children..",
            [
                v("bm-scope", "value", "province:440000"),
                v("bm-indicator", "value", "NIT-2023-I.1"),
                v("bm-overdispersion", "value", []),
                v("bm-prefecture", "value", "all"),
            ],
            [*bm_state, v("bm-goals", "value", "all")],
        ),
        (
            "benchmark export of another province",
            "bm-download.data",
            [v("bm-export", "n_clicks", 1)],
            [
                *bm_state,
                v("bm-scope", "value", "province:440000"),
                v("bm-indicator", "value", "NIT-2023-I.1"),
                v("bm-overdispersion", "value", []),
            ],
        ),
        (
            "benchmark export with a malformed quarter",
            "bm-download.data",
            [v("bm-export", "n_clicks", 1)],
            [
                v("bm-quarter", "value", "2023Q9"),
                v("bm-scope", "value", "province:330000"),
                v("bm-indicator", "value", "NIT-2023-I.1"),
                v("bm-overdispersion", "value", []),
            ],
        ),
        (
            "province trend of another province",
            "province-trend.figure",
            [v("province-trend-indicator", "value", "NIT-2023-I.1")],
            [
                v(
                    "province-scope",
                    "data",
                    {"quarter": QUARTER, "scope": "province:440000", "province": "440000"},
                )
            ],
        ),
        (
            "laggards of another province",
            "laggard-download.data",
            [v("laggard-export", "n_clicks", 1)],
            [
                v(
                    "province-scope",
                    "data",
                    {"quarter": QUARTER, "scope": "province:440000", "province": "440000"},
                )
            ],
        ),
        (
            "hospital trend of another province's hospital",
            "hospital-trend.figure",
            [v("hospital-indicator", "value", "NIT-2023-I.1")],
            [v("hospital-view", "data", {"hospital_id": other, "quarter": QUARTER})],
        ),
        (
            "hospital export of another province's hospital",
            "hospital-download.data",
            [v("hospital-export", "n_clicks", 1)],
            [v("hospital-view", "data", {"hospital_id": other, "quarter": QUARTER})],
        ),
        (
            "hospital trend with a view that is not an object",
            "hospital-trend.figure",
            [v("hospital-indicator", "value", "NIT-2023-I.1")],
            [v("hospital-view", "data", "H025")],
        ),
    ]


def outcome(answer: httpx.Response) -> str:
    """'5xx', 'silent' (nothing shown), 'refused' (the notice) or 'answered' (the page's own message)."""
    if answer.status_code >= 500:
        return f"{answer.status_code}"
    if answer.status_code == 204:
        return "silent"
    body = answer.json()
    if body.get("sideUpdate", {}).get("callback-notice", {}).get("children"):
        return "refused"
    return "answered" if body.get("response") else "silent"


def test_forged_scopes_answer_a_refusal_never_a_500(live_dash, zj) -> None:  # noqa: ANN001
    seen = {}
    for name, output, inputs, state in forged_calls(live_dash.hospitals):
        answer = update(zj, output, inputs, state=state)
        seen[name] = outcome(answer)
        assert "H025" not in answer.text, (name, answer.text[:500])  # nothing of the other hospital
    bad = {k: r for k, r in seen.items() if r not in ("refused", "answered")}
    assert not bad, bad


def laggards(client: httpx.Client, province: str) -> httpx.Response:
    view = {"quarter": QUARTER, "scope": f"province:{province}", "province": province}
    return update(
        client,
        "laggard-download.data",
        [v("laggard-export", "n_clicks", 1)],
        state=[v("province-scope", "data", view)],
    )


def test_another_province_and_a_missing_one_read_the_same_refusal(zj) -> None:  # noqa: ANN001
    other, missing = laggards(zj, "440000"), laggards(zj, "990000")
    for answer in (other, missing):
        assert answer.status_code == 200
        assert answer.json()["sideUpdate"]["callback-notice"]["children"] == REFUSAL
    assert "response" not in other.json() or not other.json()["response"].get("laggard-download", {}).get(
        "data"
    )


def test_the_own_province_is_served_without_a_notice(zj) -> None:  # noqa: ANN001
    own = laggards(zj, "330000")  # the control: the same request in scope downloads the file
    assert own.status_code == 200, own.text[:300]
    body = own.json()
    assert "callback-notice" not in body.get("sideUpdate", {})
    assert body["response"]["laggard-download"]["data"]["filename"].startswith("laggards")
