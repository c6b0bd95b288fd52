"""Figure builders, tested directly (no browser, no database)."""

from __future__ import annotations

import numpy as np
import pytest

from dash_app import figures
from services.benchmark.stats import funnel

ROWS_X = [30, 68, 70, 72, 69, 71, 73, 70]
ROWS_N = [100, 100, 120, 90, 110, 100, 95, 105]


def _rows() -> tuple[list[dict], dict]:
    result = funnel(list(range(1, 9)), ROWS_X, ROWS_N, direction="higher")
    rows = [
        {
            "hospital_id": int(u),
            "hospital_name": f"医院{u}",
            "numerator": int(x),
            "denominator": int(n),
            "rate": float(r) * 100,
            "ci95_low": float(lo) * 100,
            "ci95_high": float(hi) * 100,
            "limit95_low": float(l95) * 100,
            "limit95_high": float(h95) * 100,
            "signal": str(s),
        }
        for u, x, n, r, lo, hi, l95, h95, s in zip(
            result.unit,
            result.numerator,
            result.denominator,
            result.rate,
            result.ci95_low,
            result.ci95_high,
            result.limit95_low,
            result.limit95_high,
            result.signal,
            strict=True,
        )
    ]
    summary = {
        "pooled_rate": result.target * 100,
        "target": None,
        "multiplier": 100,
        "unit": "%",
        "direction": "higher",
        "tau2": result.tau2,
        "overdispersion_applied": False,
    }
    return rows, summary


def test_funnel_hover_names_hospital_numbers_and_signal() -> None:
    rows, summary = _rows()
    fig = figures.funnel_figure(rows, summary, "zh")
    markers = [t for t in fig.data if t.mode == "markers"]
    worse = next(t for t in markers if "差于" in t.name)
    assert list(worse.customdata) == [1]
    assert "医院1" in worse.hovertext[0] and "30/100" in worse.hovertext[0]
    assert worse.name == "差于 99.8% 控制限" and "%{fullData.name}" in worse.hovertemplate  # the signal
    assert "%{hovertext}" in worse.hovertemplate and "%{y:.2f}" in worse.hovertemplate


def _many(n: int) -> tuple[list[dict], dict]:
    rng = np.random.default_rng(7)
    denominators = rng.integers(50, 500, n)
    numerators = rng.binomial(denominators, 0.7)
    result = funnel(list(range(1, n + 1)), numerators, denominators, direction="higher")
    rows = [
        {
            "hospital_id": int(u),
            "hospital_name": f"医院{u}",
            "numerator": int(x),
            "denominator": int(d),
            "rate": float(r) * 100,
            "ci95_low": float(lo) * 100,
            "ci95_high": float(hi) * 100,
            "signal": str(s),
        }
        for u, x, d, r, lo, hi, s in zip(
            result.unit,
            result.numerator,
            result.denominator,
            result.rate,
            result.ci95_low,
            result.ci95_high,
            result.signal,
            strict=True,
        )
    ]
    return rows, {
        "pooled_rate": result.target * 100,
        "target": None,
        "multiplier": 100,
        "unit": "%",
        "direction": "higher",
        "tau2": result.tau2,
        "overdispersion_applied": False,
    }


def test_large_scopes_draw_signalled_points_and_the_rest_as_density_without_webgl() -> None:
    rows, summary = _many(figures.MANY + 1)
    fig = figures.funnel_figure(rows, summary)
    assert not [t for t in fig.data if t.type == "scattergl"]  # drawn where WebGL is not available
    signalled = [r for r in rows if r["signal"] in figures.SIGNALLED]
    assert signalled and len(signalled) < len(rows)
    markers = [t for t in fig.data if getattr(t, "mode", None) == "markers"]
    assert sorted(h for t in markers for h in t.customdata) == sorted(r["hospital_id"] for r in signalled)
    assert all(len(t.hovertext) == len(t.x) for t in markers)  # each signalled point names its hospital
    (density,) = [t for t in fig.data if t.type == "heatmap"]
    z = np.nan_to_num(np.asarray(density.z, dtype=float))
    assert z.sum() == len(rows) - len(signalled)  # every other hospital counted once
    # a cell holds the hospitals whose denominator and rate fall inside its edges
    i, j = np.unravel_index(np.argmax(z), z.shape)
    inside = [
        r
        for r in rows
        if r["signal"] not in figures.SIGNALLED
        and density.x[j] <= r["denominator"] < density.x[j + 1]
        and density.y[i] <= r["rate"] < density.y[i + 1]
    ]
    assert len(inside) == z[i, j]
    assert any(f"{len(rows) - len(signalled):,}" in a.text for a in fig.layout.annotations)
    small = figures.funnel_figure(*_rows())
    assert {t.type for t in small.data if getattr(t, "mode", None) == "markers"} == {"scatter"}
    assert not [t for t in small.data if t.type == "heatmap"]


def test_caterpillar_of_a_large_scope_keeps_every_hospital_on_its_line() -> None:
    rows, summary = _many(figures.MANY + 1)
    fig = figures.dot_plot(rows, summary)
    assert not [t for t in fig.data if t.type == "scattergl"]
    line = next(t for t in fig.data if getattr(t, "mode", None) == "lines" and t.customdata is not None)
    assert list(line.x) == list(range(1, len(rows) + 1))
    assert list(line.y) == sorted((r["rate"] for r in rows), reverse=True)  # best at rank 1
    assert sorted(line.customdata) == sorted(r["hospital_id"] for r in rows)  # hover and click for all
    band = [t for t in fig.data if getattr(t, "fill", None) == "tonexty"]
    assert len(band) == 1
    markers = [t for t in fig.data if getattr(t, "mode", None) == "markers"]
    assert sum(len(t.x) for t in markers) == sum(r["signal"] in figures.SIGNALLED for r in rows)
    assert all(t.error_y.array is not None for t in markers)


def test_dot_plot_of_many_hospitals_is_a_caterpillar_ranked_best_first() -> None:
    rows, summary = _many(figures.LABELLED + 40)
    fig = figures.dot_plot(rows, summary)
    points = sorted(((x, y, h) for t in fig.data for x, y, h in zip(t.x, t.y, t.customdata, strict=True)))
    assert [x for x, _, _ in points] == list(range(1, len(rows) + 1))  # every hospital, one rank each
    rates = [y for _, y, _ in points]
    assert rates == sorted(rates, reverse=True)  # higher is better: best at rank 1
    assert fig.layout.height == 420  # not one row per hospital
    assert all(t.error_y.array is not None for t in fig.data)


def test_funnel_limits_agree_with_the_benchmark_limits() -> None:
    rows, summary = _rows()
    limits = figures.funnel_limits(summary, np.array([r["denominator"] for r in rows]))
    assert np.allclose(limits["low95"], [r["limit95_low"] for r in rows])
    assert np.allclose(limits["high95"], [r["limit95_high"] for r in rows])
    assert (limits["low998"] < limits["low95"]).all()


def test_funnel_has_both_limit_pairs() -> None:
    rows, summary = _rows()
    lines = [t for t in figures.funnel_figure(rows, summary).data if t.mode == "lines"]
    assert len(lines) == 4
    assert {t.line.dash for t in lines} == {"dash", "solid"}


def test_overdispersion_widens_the_limits() -> None:
    rows, summary = _rows()
    n = np.array([100.0])
    plain = figures.funnel_limits(summary, n)
    wide = figures.funnel_limits({**summary, "overdispersion_applied": True, "tau2": 0.01}, n)
    assert wide["low95"][0] < plain["low95"][0] and wide["high95"][0] > plain["high95"][0]


def test_dot_plot_ranks_best_at_the_top_with_intervals() -> None:
    rows, summary = _rows()
    trace = figures.dot_plot(rows, summary).data[0]
    assert trace.y[-1] == "医院4"  # highest rate (72/90), direction "higher": drawn last = top
    assert trace.y[0] == "医院1"
    assert all(v >= 0 for v in trace.error_x.array)


@pytest.mark.parametrize(
    ("hospital", "status"),
    [
        ({"status": "approved", "timeliness": "on_time", "missing_indicators": []}, "approved"),
        ({"status": "submitted", "timeliness": "late", "missing_indicators": []}, "late"),
        ({"status": "returned", "timeliness": "on_time", "missing_indicators": []}, "returned"),
        ({"status": "approved", "timeliness": "on_time", "missing_indicators": ["A.1"]}, "missing"),
        ({"status": "missing", "timeliness": "missing", "missing_indicators": []}, "missing"),
    ],
)
def test_cell_status(hospital: dict, status: str) -> None:
    assert figures.cell_status(hospital, "A.1") == status


def test_completeness_heatmap_cells() -> None:
    report = {
        "indicators": [{"indicator": "A.1"}, {"indicator": "A.2"}],
        "hospitals": [
            {
                "hospital_name": "甲",
                "status": "approved",
                "timeliness": "on_time",
                "missing_indicators": ["A.2"],
                "expected": 2,
            },
            {
                "hospital_name": "乙",
                "status": "missing",
                "timeliness": "missing",
                "missing_indicators": [],
                "expected": 2,
            },
        ],
    }
    heat = figures.completeness_heatmap(report, "en").data[0]
    order = figures.STATUS_ORDER
    assert [list(r) for r in heat.z] == [
        [order.index("approved"), order.index("missing")],
        [order.index("missing"), order.index("missing")],
    ]
    assert "missing" in heat.colorbar.ticktext


def test_heatmap_limit_keeps_the_hospitals_needing_most_action() -> None:
    codes = ["A.1", "A.2", "A.3"]
    hospitals = [
        {"hospital_name": f"好{k}", "status": "approved", "timeliness": "on_time", "missing_indicators": []}
        for k in range(5)
    ]
    hospitals += [
        {
            "hospital_name": "缺一",
            "status": "submitted",
            "timeliness": "on_time",
            "missing_indicators": ["A.1"],
        },
        {"hospital_name": "全缺", "status": "missing", "timeliness": "missing", "missing_indicators": []},
        {"hospital_name": "退回", "status": "returned", "timeliness": "on_time", "missing_indicators": []},
    ]
    report = {"indicators": [{"indicator": c} for c in codes], "hospitals": hospitals}
    heat = figures.completeness_heatmap(report, "zh", limit=3).data[0]
    assert list(heat.y) == ["全缺", "缺一", "退回"]
    assert len(figures.completeness_heatmap(report, "zh").data[0].y) == len(hospitals)


def test_completeness_bars_count_every_hospital() -> None:
    report = {"indicators": [{"indicator": "A.1", "expected": 10, "received": 7, "approved": 5}]}
    bars = figures.completeness_bars(report, "en").data
    assert [list(b.y) for b in bars] == [[5], [2], [3]]
    assert [b.name for b in bars] == ["approved", "received, not approved", "missing"]


def test_sankey_links_follow_the_diff() -> None:
    diff = {
        "from_year": 2022,
        "to_year": 2023,
        "changes": [
            {
                "from_code": "G-2022-I",
                "to_code": "G-2023-I",
                "kinds": ["continued"],
                "to_title": "甲",
                "reason": "",
                "reason_en": "",
            },
            {
                "from_code": "G-2022-IX",
                "to_code": "G-2023-VI",
                "kinds": ["renumbered", "redefined"],
                "to_title": "乙",
                "reason": "改",
                "reason_en": "changed",
            },
            {
                "from_code": None,
                "to_code": "G-2023-X",
                "kinds": ["new"],
                "to_title": "丙",
                "reason": "",
                "reason_en": "",
            },
            {
                "from_code": "G-2022-V",
                "to_code": None,
                "kinds": ["retired"],
                "from_title": "丁",
                "reason": "",
                "reason_en": "",
            },
        ],
    }
    sankey = figures.sankey_figure([diff]).data[0]
    assert len(sankey.link.source) == 4
    assert sankey.link.color[1] == figures.KIND_COLORS["redefined"]
    assert sankey.link.color[2] == figures.KIND_COLORS["new"]
    assert sankey.link.color[3] == figures.KIND_COLORS["retired"]
    labels = list(sankey.node.label)
    assert "G-2023-VI" in labels and "2023 退出或去向待定" in labels


def test_sankey_can_leave_out_new_goals_and_says_how_many() -> None:
    moves = [
        {"from_code": "G-2022-I", "to_code": "G-2023-I", "kinds": ["continued"], "to_title": "甲"},
        {"from_code": "G-2022-V", "to_code": None, "kinds": ["moved_to_specialty"], "from_title": "丁"},
    ]
    new = [
        {"from_code": None, "to_code": f"G-2023-N{k}", "kinds": ["new"], "to_title": "新"} for k in range(5)
    ]
    diff = {"from_year": 2022, "to_year": 2023, "changes": moves + new}
    fig = figures.sankey_figure([diff], "zh", show_new=False)
    sankey = fig.data[0]
    assert len(sankey.link.source) == 2  # the real moves only
    assert not any("N0" in str(label) for label in sankey.node.label)
    # a move with no known destination is drawn into the year's retired node, in red
    assert sankey.link.color[1] == figures.KIND_COLORS["retired"]
    assert sankey.node.label[sankey.link.target[1]] == "2023 退出或去向待定"
    assert "新增 2023: 5" in fig.layout.annotations[0].text
    assert len(figures.sankey_figure([diff], "zh", show_new=True).data[0].link.source) == 7


def test_trend_figure_draws_band_pooled_and_hospital() -> None:
    points = [
        {"quarter": "2023Q1", "rate": 70.0, "pooled": 72.0, "p25": 65.0, "p75": 78.0},
        {"quarter": "2023Q2", "rate": 74.0, "pooled": 73.0, "p25": 66.0, "p75": 79.0},
    ]
    fig = figures.trend_figure(points, "zh")
    assert [t.name for t in fig.data][-3:] == ["P25–P75 区间", "合并率", "医院"]
    assert fig.data[1].fill == "tonexty"


def test_province_funnel_not_applicable_is_empty() -> None:
    fig = figures.province_funnel_figure(
        {"province_funnel": {"applicable": False}, "provinces": []}, {}, multiplier=100
    )
    assert len(fig.data) == 0


def test_not_applicable_cell_has_its_own_status_and_reason() -> None:
    hospital = {
        "hospital_name": "甲",
        "status": "missing",
        "timeliness": "missing",
        "missing_indicators": [],
        "not_applicable": {"A.2": "无产科 / no obstetrics department"},
    }
    assert figures.cell_status(hospital, "A.2") == "not_applicable"
    assert figures.cell_status(hospital, "A.1") == "missing"
    report = {"indicators": [{"indicator": "A.1"}, {"indicator": "A.2"}], "hospitals": [hospital]}
    heat = figures.completeness_heatmap(report, "zh").data[0]
    order = figures.STATUS_ORDER
    assert list(heat.z[0]) == [order.index("missing"), order.index("not_applicable")]
    assert "不适用" in heat.colorbar.ticktext
    assert "无产科" in heat.text[0][1] and "no obstetrics" not in heat.text[0][1]
    colors = dict(zip(order, figures.STATUS_COLORS, strict=True))
    assert colors["not_applicable"] not in (colors["missing"], colors["approved"])


def _span(segment_2023: int) -> list[dict]:
    earlier = [
        {"quarter": f"2022Q{q}", "indicator_code": "X-2022.1", "segment": 0, "rate": 50.0 + q, "pooled": 55.0}
        for q in range(1, 5)
    ]
    later = [
        {
            "quarter": f"2023Q{q}",
            "indicator_code": "X-2023.1",
            "segment": segment_2023,
            "rate": 60.0 + q,
            "pooled": 62.0,
        }
        for q in range(1, 5)
    ]
    return earlier + later


def test_trend_across_comparable_years_is_one_line() -> None:
    fig = figures.trend_figure(_span(0), "zh")
    hospital = [t for t in fig.data if t.name == "医院"]
    assert len(hospital) == 1 and list(hospital[0].x) == [
        f"{y}Q{q}" for y in (2022, 2023) for q in range(1, 5)
    ]
    assert list(hospital[0].text)[:1] == ["X-2022.1"] and not fig.layout.annotations


def test_trend_breaks_the_line_where_the_definition_changed() -> None:
    fig = figures.trend_figure(_span(1), "zh", note="X-2022.1 → X-2023.1: 分子口径扩大")
    hospital = [t for t in fig.data if t.name == "医院"]
    assert [list(t.x) for t in hospital] == [
        [f"2022Q{q}" for q in range(1, 5)],
        [f"2023Q{q}" for q in range(1, 5)],
    ]
    assert [t.showlegend for t in hospital] == [True, False]
    (note,) = fig.layout.annotations
    assert note.text == "口径变化" and note.x == 3.5 and "分子口径扩大" in note.hovertext
    assert figures.trend_figure(_span(1), "en").layout.annotations[0].text == "definition changed"


def test_funnel_draws_last_years_position_of_the_same_hospitals() -> None:
    rows, summary = _rows()
    previous = [{**r, "rate": r["rate"] - 5} for r in rows[:3]] + [
        {"hospital_id": 999, "hospital_name": "不在今年", "numerator": 1, "denominator": 10, "rate": 10.0}
    ]
    fig = figures.funnel_figure(rows, summary, "zh", previous=previous, previous_label="2022Q4 X-2022.1")
    (old,) = [t for t in fig.data if t.name and t.name.startswith("去年同期位置")]
    assert "2022Q4 X-2022.1" in old.name and old.marker.symbol == "circle-open"
    assert sorted(old.customdata) == sorted(r["hospital_id"] for r in rows[:3])  # 999 is not drawn now
    trail = next(t for t in fig.data if t.legendgroup == "previous" and t.mode == "lines")
    first = rows[0]
    assert list(trail.y[:2]) == [first["rate"] - 5, first["rate"]]  # from last year's point to this year's
    assert not [t for t in figures.funnel_figure(rows, summary, "zh").data if t.legendgroup == "previous"]


def test_province_funnel_writes_each_provinces_name() -> None:
    units = [
        {"province_code": "330000", "rate": 60.0, "signal": "none"},
        {"province_code": "440000", "rate": 40.0, "signal": "worse_95"},
    ]
    indicator = {
        "province_funnel": {"applicable": True, "units": units, "target": 50.0, "measure": "proportion"},
        "provinces": [
            {"province_code": "330000", "numerator": 60, "denominator": 100},
            {"province_code": "440000", "numerator": 40, "denominator": 100},
        ],
        "unit": "%",
    }
    fig = figures.province_funnel_figure(indicator, {"330000": "浙江省", "440000": "广东省"}, multiplier=100)
    points = [t for t in fig.data if t.mode == "markers+text"]
    assert sorted(name for t in points for name in t.text) == ["广东省", "浙江省"]


def test_completeness_charts_name_the_indicator_in_the_hover() -> None:
    report = {
        "indicators": [{"indicator": "A.1", "expected": 2, "received": 1, "approved": 1, "name": "甲率"}],
        "hospitals": [],
    }
    bars = figures.completeness_bars(report, "zh").data
    assert list(bars[0].customdata) == ["甲率"] and "%{customdata}" in bars[0].hovertemplate


def test_caterpillar_band_holds_every_hospitals_interval_in_few_points() -> None:
    rows, summary = _many(figures.MANY + 1)
    fig = figures.dot_plot(rows, summary)
    top, bottom = [t for t in fig.data if getattr(t, "mode", None) == "lines" and t.customdata is None][:2]
    assert len(top.x) <= 2 * figures.BAND_STEPS and list(top.x) == list(bottom.x)
    ranked = sorted(rows, key=lambda r: r["rate"], reverse=True)
    steps = list(zip(top.x[::2], top.x[1::2], top.y[::2], bottom.y[::2], strict=True))
    assert steps[0][0] == 1 and steps[-1][1] == len(rows)  # every rank is in a step
    for rank, r in enumerate(ranked, start=1):
        (_, _, high, low) = next(s for s in steps if s[0] <= rank <= s[1])
        assert low <= (r["ci95_low"] if r["ci95_low"] is not None else r["rate"])
        assert high >= (r["ci95_high"] if r["ci95_high"] is not None else r["rate"])
