"""Page tables at national scale: at most TABLE_ROWS rows drawn, the rest named and one export away
(a province has ~500 hospitals and ~10,000 flags; Dash draws each cell as a component)."""

from __future__ import annotations

import csv
import io

from dash import dcc, html

from dash_app.pages import benchmark, province
from dash_app.pages.common import TABLE_ROWS, shown_of
from services.benchmark import views
from services.benchmark.laggards import most_severe
from services.core.quarter import Quarter

Q = Quarter(2023, 3)
SUMMARY = {"unit": "%"}


def _body_rows(component) -> list:  # noqa: ANN001
    table = _find(component, lambda c: isinstance(c, html.Table))
    return table.children[1].children


def _find(component, match):  # noqa: ANN001, ANN202
    if match(component):
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str) and (found := _find(child, match)) is not None:
            return found
    return None


def _by_id(component, wanted: str):  # noqa: ANN001, ANN202
    return _find(component, lambda c: getattr(c, "id", None) == wanted)


def _hospital_rows(n: int) -> list[dict]:
    return [
        {
            "hospital_id": k,
            "hospital_name": f"医院{k:03d}",
            "numerator": k,
            "denominator": 1000,
            "rate": k / 10,
            "ci95_low": None,
            "ci95_high": None,
            "signal": "none",
            "percentile_rank": None,
        }
        for k in range(n)
    ]


def test_benchmark_table_draws_the_top_rows_and_says_how_many_exist() -> None:
    view = benchmark.row_table(_hospital_rows(120), SUMMARY, {"quarter": str(Q)}, "zh")
    rows = _body_rows(view)
    assert len(rows) == TABLE_ROWS
    assert "医院000" in str(rows[0]) and "医院049" in str(rows[-1])  # higher is better: the lowest rate first
    note = _by_id(view, "bm-rows-note")
    assert "共 120 行" in note.children and "导出" in note.children


def test_benchmark_table_puts_who_lags_first_and_unassessed_last() -> None:
    rows = _hospital_rows(6)
    for r, signal in zip(
        rows, ("none", "worse_95", "insufficient", "better_95", "worse_998", "none"), strict=True
    ):
        r["signal"] = signal
    rows[2]["rate"] = 0.0  # 0/1: the lowest rate, but too few cases to say anything
    order = [r["hospital_id"] for r in views.lagging_first(rows, "higher")]
    assert order == [4, 1, 0, 5, 3, 2]
    order = [r["hospital_id"] for r in views.lagging_first(rows, "lower")]  # within 'none': highest first
    assert order == [4, 1, 5, 0, 3, 2]


def test_small_tables_are_whole_and_carry_no_note() -> None:
    view = benchmark.row_table(_hospital_rows(12), SUMMARY, {"quarter": str(Q)}, "en")
    assert len(_body_rows(view)) == 12 and _by_id(view, "bm-rows-note") is None
    assert shown_of(12, 12, "en") is None
    assert "Showing the first 50 of 51 rows" in shown_of(51, 50, "en").children


def _flag(hospital: int, kind: str, z: float | None, code: str | None = "A.1") -> dict:
    return {
        "hospital_id": hospital,
        "hospital_name": f"医院{hospital}",
        "indicator_code": code,
        "indicator_name": "指标",
        "kind": kind,
        "kind_label": f"{kind} / {kind}",
        "numerator": 1,
        "denominator": 10,
        "rate": 10.0,
        "z": z,
        "reason": f"原因{hospital}",
        "reason_en": f"reason {hospital}",
    }


def test_laggards_most_severe_first() -> None:
    flags = [
        _flag(1, "missing", None, None),
        _flag(2, "worst_decile", None),
        _flag(3, "alert", -2.1),
        _flag(4, "alarm", -3.2),
        _flag(5, "alarm", -4.5),
        _flag(6, "persistent", None),
        _flag(7, "deteriorating", None),
        _flag(8, "alert", 2.5),
        _flag(0, "alert", 2.5),
    ]
    order = [f["hospital_id"] for f in most_severe(flags)]
    assert order == [5, 4, 0, 8, 3, 2, 6, 7, 1]  # equal |z|: hospital id decides


def test_laggard_block_caps_the_table_and_offers_the_full_list() -> None:
    flags = most_severe([_flag(k, "alert", -2.0 - k / 1000) for k in range(TABLE_ROWS + 30)])
    block = province.laggard_block({"flags": flags, "total": len(flags)}, "zh", Q)
    rows = _body_rows(block)
    assert len(rows) == TABLE_ROWS and "医院79" in str(rows[0])  # largest |z| first
    assert f"共 {TABLE_ROWS + 30} 行" in _by_id(block, "laggard-note").children
    assert isinstance(_by_id(block, "laggard-export"), html.Button)
    assert isinstance(_by_id(block, "laggard-download"), dcc.Download)
    top = province.laggard_block({"flags": flags[:TABLE_ROWS], "total": 9543}, "en", Q)  # the service's top N
    assert "of 9543 rows" in _by_id(top, "laggard-note").children


def _hospital(k: int, status: str, missing: list[str]) -> dict:
    return {
        "hospital_id": k,
        "hospital_name": '=HYPERLINK("x")' if k == 0 else f"医院{k}",
        "province_code": "330000",
        "status": status,
        "timeliness": "missing" if status == "missing" else "on_time",
        "expected": 2,
        "received": 2 - len(missing),
        "missing_indicators": missing,
        "not_applicable": {},
    }


def test_completeness_export_holds_every_hospital_with_formulas_neutralised() -> None:
    report = {
        "hospitals": [
            _hospital(k, "approved" if k % 3 else "missing", [] if k % 3 else ["A.1", "A.2"])
            for k in range(TABLE_ROWS + 20)
        ]
    }
    rows = list(csv.DictReader(io.StringIO(province.completeness_csv(report).decode("utf-8-sig"))))
    assert len(rows) == TABLE_ROWS + 20
    assert rows[0]["hospital_name"].startswith("'=")  # no formula runs when the file is opened
    assert rows[0]["missing_indicators"] == "A.1 A.2"


def test_completeness_block_heat_map_capped_bars_count_all() -> None:
    hospitals = [_hospital(k, "approved", []) for k in range(TABLE_ROWS + 10)] + [
        _hospital(999, "missing", [])
    ]
    report = {
        "hospitals": hospitals,
        "indicators": [{"indicator": "A.1", "expected": 61, "received": 60, "approved": 60}],
        "hospitals_expected": 61,
        "hospitals_received": 60,
        "hospitals_approved": 60,
        "late": 0,
        "missing": 1,
    }
    block = province.completeness_block(report, "zh")
    heat = _by_id(block, "province-heatmap").figure.data[0]
    assert len(heat.y) == TABLE_ROWS and heat.y[0] == "医院999"  # the missing hospital comes first
    assert "共 61 行" in _by_id(block, "heatmap-note").children
    bars = _by_id(block, "province-by-indicator").figure.data
    assert sum(b.y[0] for b in bars) == 61
