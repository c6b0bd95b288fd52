"""Hospital page: indicators over the quarters against the province's pooled rate and percentile
band, YoY arrows ("not comparable" where the lineage says so), current flags with reasons,
submission status and history, and the feedback report. Hospital users reach only their own
hospital: the id in the URL is re-checked against the session's actor by ``data`` and the services."""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html
from flask import Response, abort

from dash_app import data, figures, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import (
    GRID2,
    fmt,
    quarter_dropdown,
    quarter_param,
    quarter_search,
    section,
    table,
    title,
)
from services.core.errors import DomainError
from services.core.quarter import Quarter

ARROWS = {
    "improved": "▲",
    "worsened": "▼",
    "no_significant_change": "＝",
    "insufficient": "·",
    "not_tested": "·",
}


def yoy_rows(yoy: dict, lang: str) -> list[dict]:
    rows = []
    for r in yoy["indicators"]:
        if r["rate"] is None and r["previous_rate"] is None and r["comparability"] == "new":
            continue  # nothing to compare and nothing to say beyond "new"
        if r["comparability"] in ("comparable", "partial") and r.get("verdict"):
            verdict = r["verdict"]
            change = (
                f"{ARROWS.get(verdict, '')} {fmt(r['change'])} "
                f"{i18n.pick(r['verdict_label'], r['verdict_label_en'], lang)}"
            )
        else:
            change = (
                f"{i18n.pick(r['comparability_label'], r['comparability_label_en'], lang)}: "
                f"{i18n.pick(r['reason'], r['reason_en'], lang)[:80]}"
            )
        rows.append(
            {
                "code": r["indicator_code"],
                "name": i18n.pick(r["indicator_name"], r["indicator_name_en"], lang),
                "rate": fmt(r["rate"], r["unit"]),
                "previous": fmt(r["previous_rate"], r["unit"]),
                "change": change,
            }
        )
    return rows


def flag_rows(flags: list[dict], lang: str) -> list[dict]:
    return [
        {
            "indicator": f["indicator_code"] or "—",
            "kind": i18n.pair(f["kind_label"], lang),
            "rule": f.get("rule") or "—",
            "reason": i18n.pick(f["reason"], f["reason_en"], lang),
        }
        for f in flags
    ]


def status_block(status: dict, lang: str) -> html.Div:
    head = (
        f"{status['quarter']} · {i18n.t('status.' + status['status'], lang) if status['version'] else '—'}"
        f" · v{status['version']}" + (f" · {i18n.t('status.late', lang)}" if status["late"] else "")
    )
    events = [
        {
            "at": e["at"][:16].replace("T", " "),
            "action": e["action"],
            "to": e["to_status"],
            "comment": e["comment"],
        }
        for e in status["events"]
    ]
    columns = [
        ("at", "时间 / time" if lang == "zh" else "time"),
        ("action", ""),
        ("to", i18n.t("common.status", lang)),
        ("comment", i18n.t("common.comment", lang)),
    ]
    return html.Div(
        [
            html.Div(head, id="hospital-status"),
            html.Div(i18n.pair(status["review_comment"], lang)) if status.get("review_comment") else None,
            table(events, columns, id="hospital-events"),
        ]
    )


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    if not rest.isdigit():
        raise DomainError("医院编号无效 / not a hospital id")
    db, hospital_id = database(), int(rest)
    info = data.hospital(db, actor, hospital_id)  # NotFound outside the actor's scope
    quarter = quarter_param(params, data.default_quarter(db, actor))
    yoy = data.hospital_yoy(db, actor, hospital_id, quarter)
    flags = data.hospital_flags(db, actor, hospital_id, quarter)
    codes = [r["indicator_code"] for r in yoy["indicators"]]
    first = next((f["indicator_code"] for f in flags if f["indicator_code"]), codes[0] if codes else None)
    report_href = f"/dash/report/{hospital_id}/{quarter}"
    view = {"hospital_id": hospital_id, "quarter": str(quarter)}  # the first trend is drawn here
    return html.Div(
        [
            html.Div(
                [
                    title(
                        info["name"],
                        f"{info['level']}{info['grade']} · {info['type']} · {info['province_code']} · "
                        f"{i18n.t('admin.reports_from', lang)} {info['reports_from']}"
                        + ("" if info["active"] else f" · {i18n.t('admin.inactive', lang)}"),
                    ),
                    quarter_dropdown("hospital-quarter", data.quarters(db, actor), str(quarter)),
                ],
                style={"display": "flex", "justifyContent": "space-between", "alignItems": "center"},
            ),
            html.Div(
                [
                    section(
                        i18n.t("hospital.trends", lang),
                        dcc.Dropdown(
                            id="hospital-indicator",
                            options=codes,
                            value=first,
                            clearable=False,
                            style={"width": "260px"},
                        ),
                        dcc.Graph(
                            id="hospital-trend", figure=trend(first, view), config={"displaylogo": False}
                        ),
                    ),
                    section(
                        i18n.t("hospital.flags", lang),
                        table(
                            flag_rows(flags, lang),
                            [
                                ("indicator", i18n.t("common.indicator", lang)),
                                ("kind", i18n.t("common.signal", lang)),
                                ("rule", i18n.pick("规则", "rule", lang)),
                                ("reason", i18n.t("common.reason", lang)),
                            ],
                            id="hospital-flags",
                        ),
                    ),
                ],
                style=GRID2,
            ),
            section(
                i18n.t("hospital.yoy", lang),
                table(
                    yoy_rows(yoy, lang),
                    [
                        ("code", i18n.t("common.indicator", lang)),
                        ("name", ""),
                        ("rate", str(quarter)),
                        ("previous", i18n.t("hospital.yoy", lang)),
                        ("change", ""),
                    ],
                    id="hospital-yoy",
                ),
            ),
            html.Div(
                [
                    section(
                        i18n.t("hospital.submissions", lang),
                        status_block(data.submission_status(db, actor, hospital_id, quarter), lang),
                    ),
                    section(
                        i18n.t("hospital.report", lang),
                        html.A(
                            f"{i18n.t('hospital.report', lang)} {quarter}",
                            href=report_href,
                            target="_blank",
                            id="hospital-report-link",
                        ),
                    ),
                ],
                style=GRID2,
            ),
            dcc.Store(id="hospital-view", data=view),
        ]
    )


def trend(indicator: str | None, view: dict):  # noqa: ANN201
    """The store names what to show; ``data`` re-checks the hospital against the session's actor."""
    actor, lang = current_actor(), current_lang()
    if not indicator:
        return {}
    try:
        series = data.hospital_series(
            database(), actor, int(view["hospital_id"]), Quarter.parse(view["quarter"]), indicator
        )
    except (DomainError, ValueError, KeyError, TypeError):
        return figures.trend_figure([], lang, title=i18n.t("error.not_found", lang))
    name = i18n.pick(series.get("indicator_name"), series.get("indicator_name_en"), lang)
    cut = series.get("break")
    note = (
        f"{cut['from_code']} → {indicator}: {i18n.pick(cut['reason'], cut['reason_en'], lang)}" if cut else ""
    )
    return figures.trend_figure(
        series["points"], lang, unit=series.get("unit", ""), title=f"{indicator} {name}", note=note[:300]
    )


def feedback_report(hospital_id: int, quarter: str) -> Response:
    try:
        html_text = data.feedback_html(database(), current_actor(), hospital_id, Quarter.parse(quarter))
    except (DomainError, ValueError):
        abort(404)
    return Response(html_text, mimetype="text/html")


def register(app: Dash) -> None:
    app.server.add_url_rule("/report/<int:hospital_id>/<quarter>", "qcp_feedback_report", feedback_report)

    @app.callback(
        Output("hospital-trend", "figure"),
        Input("hospital-indicator", "value"),
        State("hospital-view", "data"),
        prevent_initial_call=True,
    )
    def _trend(indicator, view):  # noqa: ANN001, ANN202
        return trend(indicator, view)

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("hospital-quarter", "value"),
        State("hospital-quarter-shown", "data"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def _quarter(value, shown, search):  # noqa: ANN001, ANN202
        return quarter_search(value, shown, search)
