"""The benchmark page's pieces show what issue 13 added (pure: rows and summaries in, Dash out)."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio

from dash_app import figures
from dash_app.pages import benchmark as page
from services.benchmark import stats

META = {
    "scope_label": "浙江省",
    "scope_label_en": "Zhejiang",
    "quarter": "2023Q3",
    "data_note": "仅含审核通过的数据 / approved data only",
    "own_hospital_only": False,
}
BASELINE = {
    "year": 2022,
    "scope": "province",
    "profile": "level_type",
    "label": "基线：2022 年本省率（NIT-2022-I.1），按级别×类型",
    "label_en": "baseline: 2022 provincial rates (NIT-2022-I.1) by level × type",
}
SUMMARY = {
    "unit": "%",
    "multiplier": 100,
    "direction": "higher",
    "pooled_rate": 66.0,
    "target": None,
    "phi": 2.5,
    "tau2": 0.0042,
    "overdispersion_applied": False,
    "overdispersion_recommended": True,
    "measure": "proportion",
    "limits_method": "exact_binomial",
    "flag_rule": "fdr",
    "min_denominator": 10,
    "oe": {
        "baseline": BASELINE,
        "phi": 1.3,
        "tau2": 0.001,
        "overdispersion_applied": False,
        "limits_method": "poisson_exact",
    },
}
ROWS = [
    {
        "hospital_id": 1,
        "hospital_name": "甲医院",
        "numerator": 30,
        "denominator": 100,
        "rate": 30.0,
        "signal": "worse_998",
        "flag_signal": "worse_998",
        "q": 0.00001,
        "expected": 70.0,
        "oe": 0.43,
        "oe_ci95_low": 0.29,
        "oe_ci95_high": 0.61,
        "oe_signal": "worse_998",
        "percentile_rank": 0.0,
    },
    {
        "hospital_id": 2,
        "hospital_name": "乙医院",
        "numerator": 70,
        "denominator": 100,
        "rate": 70.0,
        "signal": "none",
        "flag_signal": "none",
        "q": 0.8,
        "expected": 70.0,
        "oe": 1.0,
        "oe_ci95_low": 0.78,
        "oe_ci95_high": 1.26,
        "oe_signal": "none",
        "percentile_rank": 100.0,
    },
]


def _text(component) -> str:  # noqa: ANN001
    return json.dumps(component.to_plotly_json(), ensure_ascii=False, default=str)


def test_summary_shows_phi_tau2_rule_limits_and_the_baseline_even_when_not_adjusted():
    text = _text(page.summary_line(SUMMARY, META, "zh"))
    assert "φ = 2.50" in text and "τ² = 0.00420" in text and "建议校正" in text
    assert (
        "错误发现率" in text
        and "精确二项分布" in text
        and "exact_binomial" not in text
        and "最小分母 10" in text
    )
    assert "基线：2022 年本省率" in text
    assert "baseline: 2022 provincial rates" in _text(page.summary_line(SUMMARY, META, "en"))


def test_table_has_q_the_rules_signal_and_oe_columns_where_turned_on():
    text = _text(page.row_table(ROWS, SUMMARY, {"quarter": "2023Q3"}, "zh"))
    assert "标记依据" in text and "O/E" in text and "期望数 E" in text and "0.43" in text
    plain = _text(page.row_table(ROWS, {**SUMMARY, "oe": None}, {"quarter": "2023Q3"}, "zh"))
    assert "期望数 E" not in plain and "标记依据" in plain


def test_oe_funnel_is_around_one_and_names_its_baseline():
    fig = figures.oe_funnel_figure(ROWS, SUMMARY, "zh", title="O/E")
    assert "基线：2022 年本省率" in fig.layout.title.text
    lines = [t for t in fig.data if t.mode == "lines"]
    below = [t for t in lines if max(t.y) < 1]
    above = [t for t in lines if min(t.y) > 1]
    assert len(below) == 2 and len(above) == 2  # 95% and 99.8% limits on either side of 1
    assert "期望数 E" in pio.to_json(fig)


def test_rate_funnel_curves_are_the_benchmarks_poisson_limits():
    result = stats.funnel([1, 2, 3], [2, 3, 20], [2000, 2500, 2000], measure="rate", direction="lower")
    summary = {
        "multiplier": 1000,
        "pooled_rate": result.target * 1000,
        "target": None,
        "measure": "rate",
        "limits_method": result.limits_method,
        "overdispersion_applied": False,
    }
    drawn = figures.funnel_limits(summary, np.array([2000.0, 2500.0]))
    assert np.allclose(drawn["high95"], result.limit95_high[:2] * 1000)
    assert np.allclose(drawn["low998"], result.limit998_low[:2] * 1000)


def test_overdispersion_choice_maps_to_the_service_argument():
    assert page.od_argument("setting") is None and page.od_argument(None) is None
    assert page.od_argument("on") is True and page.od_argument("off") is False
