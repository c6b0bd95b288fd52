"""Pure parts of issue 23's hospital tasks, tested without a browser: which hospital a click on the
funnel or dot plot opens, and how the hospital page words a year-over-year change."""

from __future__ import annotations

import json

import plotly.io as pio
import pytest

from dash_app import figures
from dash_app.pages.benchmark import charts, clicked_hospital
from dash_app.pages.hospital import with_toolbar, yoy_change, yoy_columns, yoy_rows
from services.core.actor import Actor, Role
from services.core.quarter import Quarter
from tests.dash.test_figures import _rows

ANALYST = Actor(subject="t", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
VIEWER = Actor(subject="t", roles=frozenset({Role.HOSPITAL_VIEWER}), province="330000", hospital_id=7)


def _click(customdata: object) -> dict:
    return {"points": [{"curveNumber": 5, "pointIndex": 0, "customdata": customdata}]}


def test_figures_send_hospital_ids_as_plain_lists_that_clicks_can_carry() -> None:
    rows, summary = _rows()
    for fig in (figures.funnel_figure(rows, summary), figures.dot_plot(rows, summary)):
        sent = json.loads(pio.to_json(fig))
        ids = [c for t in sent["data"] if "customdata" in t for c in t["customdata"]]
        assert sorted(ids) == sorted(r["hospital_id"] for r in rows)  # not {"dtype": …, "bdata": …}


def test_a_click_on_a_hospital_point_names_it() -> None:
    assert clicked_hospital(_click(12), ANALYST) == 12


def test_a_click_on_a_limit_line_or_nothing_opens_nothing() -> None:
    assert clicked_hospital({"points": [{"curveNumber": 0, "pointIndex": 3}]}, ANALYST) is None
    assert clicked_hospital(None, ANALYST) is None
    assert clicked_hospital(_click({"dtype": "i4"}), ANALYST) is None


def test_a_hospital_user_opens_only_its_own_hospital() -> None:
    assert clicked_hospital(_click(7), VIEWER) == 7
    assert clicked_hospital(_click(8), VIEWER) is None


@pytest.mark.parametrize(
    ("change", "direction", "verdict", "arrow", "assessment"),
    [
        (3.28, "higher", "improved", "▲ +3.28 百分点", "改善"),  # a rise where higher is better
        (-3.28, "higher", "worsened", "▼ −3.28 百分点", "恶化"),  # a fall where higher is better
        (3.28, "lower", "worsened", "▲ +3.28 百分点", "恶化"),  # a rise where lower is better
        (-2.79, "lower", "improved", "▼ −2.79 百分点", "改善"),  # a fall where lower is better
        (-2.71, "higher", "no_significant_change", "▼ −2.71 百分点", "无显著变化"),
    ],
)
def test_yoy_arrow_follows_the_sign_and_assessment_the_direction(
    change: float, direction: str, verdict: str, arrow: str, assessment: str
) -> None:
    assert yoy_change(change, "%", direction, verdict, "zh") == {"change": arrow, "assessment": assessment}


def test_yoy_change_in_english_and_in_the_indicators_unit() -> None:
    cells = yoy_change(-0.23, "种/床日", "lower", "improved", "en")
    assert cells == {"change": "▼ −0.23 种/床日", "assessment": "improved"}
    assert yoy_change(None, "%", "higher", "insufficient", "zh") == {"change": "—", "assessment": "数据不足"}


def test_yoy_rows_show_last_years_rate_apart_from_the_change() -> None:
    row = {
        "indicator_code": "NIT-2023-VI.1",
        "indicator_name": "住院患者静脉输液使用率",
        "indicator_name_en": "IV infusion rate",
        "unit": "%",
        "direction": "lower",
        "rate": 80.87,
        "previous_rate": 83.66,
        "change": -2.79,
        "verdict": "improved",
        "comparability": "comparable",
    }
    (shown,) = yoy_rows({"indicators": [row]}, "zh")
    assert shown["rate"] == "80.87%" and shown["previous"] == "83.66%"
    assert shown["change"] == "▼ −2.79 百分点" and shown["assessment"] == "改善"
    headings = [h for _, h in yoy_columns(Quarter(2023, 3), "zh")]
    assert headings[2:] == ["本季度 2023Q3", "去年同期", "同比变化", "评价"]


def _texts(fig) -> list[str]:  # noqa: ANN001
    return [a.text for a in fig.layout.annotations]


def test_charts_without_rows_say_why_in_words_not_empty_axes() -> None:
    _, summary = _rows()
    funnel, dots = charts([], summary, "指标", "zh", own_only=False)
    assert _texts(funnel) == ["本季度该指标暂无数据"] and _texts(dots) == ["本季度该指标暂无数据"]
    assert funnel.layout.xaxis.visible is False and funnel.layout.yaxis.visible is False
    assert not funnel.data


def test_hospital_users_are_told_what_they_can_see_instead() -> None:
    _, summary = _rows()
    funnel, _ = charts(
        [{"hospital_id": 7, "denominator": 0, "rate": None}], summary, "指标", "en", own_only=True
    )
    (text,) = _texts(funnel)
    assert (
        text.startswith("Your hospital has no data for this indicator this quarter")
        and "Hospital page" in text
    )


def test_charts_with_rows_draw_the_funnel_and_the_dots() -> None:
    rows, summary = _rows()
    funnel, dots = charts(rows, {**summary, "measure": "proportion"}, "指标", "zh", own_only=False)
    assert funnel.data and dots.data and "本季度该指标暂无数据" not in _texts(funnel)


def test_the_report_gets_a_print_button_and_a_way_back_that_do_not_print() -> None:
    page = with_toolbar("<html><head></head><body><h1>质控反馈报告</h1></body></html>", 7, "2023Q3")
    assert page.index("data-qcp-print") < page.index("<h1>")
    assert 'href="/dash/hospital/7?quarter=2023Q3"' in page
    assert 'src="/dash/assets/print.js"' in page and "onclick" not in page  # the CSP refuses inline handlers
    assert ".qcp-no-print { display: none !important; }" in page
