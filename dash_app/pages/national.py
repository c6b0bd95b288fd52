"""National rollup (national staff): provinces compared in a table and as units on a funnel,
completeness per province, the national trend; a province's row drills into its overview."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from dash_app import data, figures, i18n, numbers
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import (
    GRID2,
    error_box,
    quarter_dropdown,
    quarter_param,
    quarter_search,
    section,
    table,
    title,
)
from services.core.errors import DomainError
from services.core.quarter import Quarter


def province_rows(indicator: dict, names: dict[str, str]) -> list[dict]:
    return [
        {
            **p,
            "name": names.get(p["province_code"], p["province_code"]),
            "completeness": numbers.share(p["completeness"]),
        }
        for p in indicator["provinces"]
    ]


def rollup_view(quarter: str, indicator: str | None) -> tuple:
    actor, lang = current_actor(), current_lang()
    try:
        q = Quarter.parse(quarter)
        found = data.rollup(database(), actor, quarter=q, indicator=indicator)
        options = {o["value"]: o for o in data.indicator_options(database(), actor, q.year)}
    except (DomainError, ValueError) as exc:
        return error_box(exc, lang), {}, {}
    ind, names = found["indicators"][0], data.province_names(database(), actor)
    columns = [
        ("name", i18n.t("common.province", lang)),
        ("hospitals", i18n.t("province.kpi.expected", lang)),
        ("reporting", i18n.t("province.kpi.approved", lang)),
        ("completeness", "%"),
        ("pooled_rate", i18n.t("common.pooled", lang)),
        ("median", "P50"),
        ("laggards", i18n.t("national.laggards", lang)),
    ]
    rows = table(
        province_rows(ind, names),
        columns,
        id="national-table",
        links={"name": lambda r: f"/dash/province?province={r['province_code']}&quarter={quarter}"},
    )
    multiplier = (options.get(indicator) or {}).get("multiplier", 100)
    funnel = figures.province_funnel_figure(
        ind,
        names,
        multiplier=multiplier,
        lang=lang,
        title=i18n.pick(ind["indicator_name"], ind["indicator_name_en"], lang),
    )
    points: list[dict[str, Any]] = next(
        (t["points"] for t in found["trend"] if t["indicator_code"] == indicator), []
    )
    trend = figures.trend_figure(
        [{"quarter": p["quarter"], "pooled": p["pooled_rate"]} for p in points],
        lang,
        unit=ind["unit"],
        title=i18n.t("national.trend", lang),
    )
    return rows, funnel, trend


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    db = database()
    quarter = quarter_param(params, data.default_quarter(db, actor))
    options = data.indicator_options(db, actor, quarter.year)
    codes = [o["value"] for o in options]
    chosen = params.get("indicator") if params.get("indicator") in codes else (codes[0] if codes else None)
    labels = [{"value": o["value"], "label": o["label"] if lang == "zh" else o["label_en"]} for o in options]
    provinces, funnel, trend = rollup_view(str(quarter), chosen)  # the first view; the callback redraws
    return html.Div(
        [
            html.Div(
                [
                    title(i18n.t("national.title", lang), str(quarter)),
                    quarter_dropdown("national-quarter", data.quarters(db, actor), str(quarter)),
                ],
                style={"display": "flex", "justifyContent": "space-between", "alignItems": "center"},
            ),
            dcc.Dropdown(
                id="national-indicator",
                options=labels,
                value=chosen,
                clearable=False,
                style={"width": "560px"},
            ),
            section(i18n.t("national.provinces", lang), html.Div(provinces, id="national-provinces")),
            html.Div(
                [
                    section(
                        i18n.t("national.funnel", lang),
                        dcc.Graph(id="national-funnel", figure=funnel, config={"displaylogo": False}),
                    ),
                    section(
                        i18n.t("national.trend", lang),
                        dcc.Graph(id="national-trend", figure=trend, config={"displaylogo": False}),
                    ),
                ],
                style=GRID2,
            ),
        ]
    )


def register(app: Dash) -> None:
    @app.callback(
        Output("national-provinces", "children"),
        Output("national-funnel", "figure"),
        Output("national-trend", "figure"),
        Input("national-indicator", "value"),
        State("national-quarter", "value"),
        prevent_initial_call=True,
    )
    def _view(indicator, quarter):  # noqa: ANN001, ANN202
        return rollup_view(quarter, indicator)

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("national-quarter", "value"),
        State("national-quarter-shown", "data"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def _quarter(value, shown, search):  # noqa: ANN001, ANN202
        return quarter_search(value, shown, search, indicator=None)
