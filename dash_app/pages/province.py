"""Province overview (provincial QC staff; national staff with ?province=): this quarter's
completeness heat map, laggards with reasons, goal-by-goal pooled rates with YoY and trend."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from dash_app import data, figures, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import (
    GRID2,
    TABLE_ROWS,
    fmt,
    hospital_href,
    in_parallel,
    kpi,
    kpis,
    quarter_dropdown,
    quarter_param,
    quarter_search,
    scroll,
    section,
    shown_of,
    table,
    title,
)
from services.benchmark.exports import to_csv
from services.benchmark.laggards import LAGGARD_COLUMNS
from services.core.quarter import Quarter

COMPLETENESS_COLUMNS = (
    "hospital_id",
    "hospital_name",
    "province_code",
    "status",
    "timeliness",
    "expected",
    "received",
    "missing_indicators",
)


def _province(actor, params: dict) -> str:  # noqa: ANN001
    return actor.province or params.get("province") or "330000"


def completeness_block(report: dict, lang: str) -> html.Div:
    hospitals = len(report["hospitals"])
    return html.Div(
        [
            kpis(
                kpi(i18n.t("province.kpi.expected", lang), report["hospitals_expected"], id="kpi-expected"),
                kpi(i18n.t("province.kpi.received", lang), report["hospitals_received"], id="kpi-received"),
                kpi(i18n.t("province.kpi.approved", lang), report["hospitals_approved"], id="kpi-approved"),
                kpi(i18n.t("province.kpi.late", lang), report["late"], id="kpi-late"),
                kpi(i18n.t("province.kpi.missing", lang), report["missing"], id="kpi-missing"),
            ),
            dcc.Graph(
                id="province-by-indicator",
                figure=figures.completeness_bars(report, lang, title=i18n.t("province.by_indicator", lang)),
                config={"displaylogo": False},
            ),
            html.Div(i18n.t("province.attention_first", lang), style={"color": "#555", "fontSize": "12px"})
            if hospitals > TABLE_ROWS
            else None,
            dcc.Graph(
                id="province-heatmap",
                figure=figures.completeness_heatmap(report, lang, limit=TABLE_ROWS),
                config={"displaylogo": False},
            ),
            shown_of(hospitals, min(hospitals, TABLE_ROWS), lang, id="heatmap-note"),
            html.Button(i18n.t("common.export", lang), id="completeness-export"),
            dcc.Download(id="completeness-download"),
        ]
    )


def completeness_csv(report: dict) -> bytes:
    rows = [{**h, "missing_indicators": " ".join(h["missing_indicators"])} for h in report["hospitals"]]
    return to_csv(rows, COMPLETENESS_COLUMNS)


def laggard_rows(flags: list[dict], lang: str) -> list[dict]:
    return [
        {
            **f,
            "kind": i18n.pair(f["kind_label"], lang),
            "reason": i18n.pick(f["reason"], f["reason_en"], lang),
            "indicator": f["indicator_code"] or "—",
        }
        for f in flags
    ]


def laggard_block(found: dict, lang: str, quarter: Quarter) -> html.Div:
    """The most severe TABLE_ROWS flags (the service sorts them); the export button downloads all."""
    columns = [
        ("hospital_name", i18n.t("common.hospital", lang)),
        ("indicator", i18n.t("common.indicator", lang)),
        ("kind", i18n.t("common.signal", lang)),
        ("rate", i18n.t("common.rate", lang)),
        ("reason", i18n.t("common.reason", lang)),
    ]
    rows = laggard_rows(found["flags"][:TABLE_ROWS], lang)
    return html.Div(
        [
            scroll(
                table(
                    rows,
                    columns,
                    id="laggard-table",
                    links={"hospital_name": lambda r: hospital_href(r["hospital_id"], quarter)},
                )
            ),
            shown_of(found["total"], len(rows), lang, id="laggard-note"),
            html.Button(i18n.t("common.export", lang), id="laggard-export"),
            dcc.Download(id="laggard-download"),
        ]
    )


def goal_rows(yoy: dict, lang: str, quarter: Quarter) -> list[dict]:
    rows = []
    for r in yoy["indicators"]:
        verdict = (
            i18n.pick(r.get("verdict_label"), r.get("verdict_label_en"), lang)
            if r.get("verdict")
            else i18n.pick(r["comparability_label"], r["comparability_label_en"], lang)
        )
        rows.append(
            {
                "code": r["indicator_code"],
                "name": i18n.pick(r["indicator_name"], r["indicator_name_en"], lang),
                "rate": fmt(r["rate"], r["unit"]),
                "previous": fmt(r["previous_rate"], r["unit"]),
                "change": verdict,
                "link": "→",
            }
        )
    return rows


def goal_block(yoy: dict, lang: str, quarter: Quarter, first_trend: object) -> html.Div:
    columns = [
        ("code", i18n.t("common.indicator", lang)),
        ("name", ""),
        ("rate", i18n.t("common.pooled", lang)),
        ("previous", i18n.t("hospital.yoy", lang)),
        ("change", ""),
        ("link", i18n.t("nav.benchmark", lang)),
    ]
    codes = [{"value": r["indicator_code"], "label": r["indicator_code"]} for r in yoy["indicators"]]
    return html.Div(
        [
            scroll(
                table(
                    goal_rows(yoy, lang, quarter),
                    columns,
                    id="goal-table",
                    links={"link": lambda r: f"/dash/benchmark?indicator={r['code']}&quarter={quarter}"},
                )
            ),
            dcc.Dropdown(
                id="province-trend-indicator",
                options=codes,
                value=codes[0]["value"] if codes else None,
                clearable=False,
                style={"width": "260px", "marginTop": "8px"},
            ),
            dcc.Graph(id="province-trend", figure=first_trend, config={"displaylogo": False}),
        ]
    )


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    """The page in one answer; its four independent reads run side by side (each in its own scoped
    unit of work), which at national scale halves the time to the first view."""
    db, province = database(), _province(actor, params)
    quarter = quarter_param(params, data.default_quarter(db, actor))
    scope = f"province:{province}"
    view = {"scope": scope, "quarter": str(quarter)}
    options = data.indicator_options(db, actor, quarter.year)  # the goal table's order: its first row
    first = options[0]["value"] if options else None
    got = in_parallel(
        report=lambda: data.completeness(db, actor, quarter=quarter, province=province),
        laggards=lambda: data.laggards(db, actor, quarter=quarter, scope=scope, top=TABLE_ROWS),
        yoy=lambda: data.scope_yoy(db, actor, quarter=quarter, scope=scope),
        trend=lambda: trend_figure(first, view, db=db, actor=actor, lang=lang) if first else {},
    )
    return html.Div(
        [
            html.Div(
                [
                    title(
                        f"{i18n.t('province.title', lang)} · {data.province_names(db, actor).get(province, province)}",
                        str(quarter),
                    ),
                    quarter_dropdown("province-quarter", data.quarters(db, actor), str(quarter)),
                ],
                style={"display": "flex", "justifyContent": "space-between", "alignItems": "center"},
            ),
            section(
                i18n.t("province.completeness", lang),
                completeness_block(got["report"], lang),
                id="section-completeness",
            ),
            html.Div(
                [
                    section(i18n.t("province.laggards", lang), laggard_block(got["laggards"], lang, quarter)),
                    section(
                        i18n.t("province.goals", lang), goal_block(got["yoy"], lang, quarter, got["trend"])
                    ),
                ],
                style=GRID2,
            ),
            dcc.Store(id="province-scope", data=view),
        ]
    )


def trend_figure(indicator: str, view: dict, *, db=None, actor=None, lang: str | None = None):  # noqa: ANN001, ANN201
    """The pooled-rate trend of one indicator. ``view`` only names what to show: the scope is
    re-checked by the service against the session's actor. ``render`` passes database, actor and
    language (its reads run outside the request's Flask context); the callback takes the session's."""
    db, actor, lang = db or database(), actor or current_actor(), lang or current_lang()
    series = data.scope_trend(
        db, actor, quarter=Quarter.parse(view["quarter"]), scope=view["scope"], indicator=indicator
    )
    points: list[dict[str, Any]] = next((s["points"] for s in series if s["indicator_code"] == indicator), [])
    shown = [{"quarter": p["quarter"], "pooled": p["pooled_rate"]} for p in points]
    return figures.trend_figure(shown, lang, title=indicator)


def register(app: Dash) -> None:
    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("province-quarter", "value"),
        State("province-quarter-shown", "data"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def _quarter(value, shown, search):  # noqa: ANN001, ANN202
        return quarter_search(value, shown, search)

    @app.callback(
        Output("province-trend", "figure"),
        Input("province-trend-indicator", "value"),
        State("province-scope", "data"),
        prevent_initial_call=True,
    )
    def _trend(indicator, view):  # noqa: ANN001, ANN202
        return trend_figure(indicator, view)

    @app.callback(
        Output("laggard-download", "data"),
        Input("laggard-export", "n_clicks"),
        State("province-scope", "data"),
        prevent_initial_call=True,
    )
    def _laggards(_, view):  # noqa: ANN001, ANN202
        found = data.laggards(
            database(), current_actor(), quarter=Quarter.parse(view["quarter"]), scope=view["scope"]
        )
        return dcc.send_bytes(
            to_csv(found["flags"], LAGGARD_COLUMNS),
            f"laggards-{view['scope'].replace(':', '-')}-{view['quarter']}.csv",
        )

    @app.callback(
        Output("completeness-download", "data"),
        Input("completeness-export", "n_clicks"),
        State("province-scope", "data"),
        prevent_initial_call=True,
    )
    def _completeness(_, view):  # noqa: ANN001, ANN202
        province = view["scope"].removeprefix("province:")
        report = data.completeness(
            database(), current_actor(), quarter=Quarter.parse(view["quarter"]), province=province
        )
        return dcc.send_bytes(completeness_csv(report), f"completeness-{province}-{view['quarter']}.csv")
