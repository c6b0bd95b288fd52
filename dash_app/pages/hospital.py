"""Hospital page: indicators over the quarters against the province's pooled rate and percentile
band, the early-warning chart (CUSUM with its limit h, EWMA with its limits), YoY arrows ("not
comparable" where the lineage says so), current flags with reasons,
submission status and history, and the feedback report. Hospital users reach only their own
hospital: the id in the URL is re-checked against the session's actor by ``data`` and the services."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from dash import Dash, Input, Output, State, dcc, html, no_update
from flask import Response, abort

from dash_app import data, figures, figures_early_warning, i18n
from dash_app.app import PREFIX, database
from dash_app.auth import current_actor, current_lang
from dash_app.callback_errors import refuse
from dash_app.numbers import signed
from dash_app.pages.common import (
    GRID2,
    attrs,
    fmt,
    hospital_href,
    in_parallel,
    quarter_dropdown,
    quarter_param,
    quarter_search,
    section,
    table,
    title,
)
from services.benchmark.change import VERDICT_LABELS
from services.benchmark.exports import to_csv
from services.core.errors import DomainError
from services.core.quarter import Quarter

SIGNIFICANT = ("improved", "worsened")
ASSESSMENTS = {"improved": ("改善", "improved"), "worsened": ("恶化", "worsened")}


def yoy_change(change: float | None, unit: str, direction: str, verdict: str | None, lang: str) -> dict:
    """The 同比变化 cell (the arrow agrees with the sign of the change: ▲ a rise, ▼ a fall) and the
    评价 cell: 改善 / 恶化 by the indicator's direction where the change is significant, else the
    service's verdict (无显著变化, 数据不足, 均值类不检验)."""
    if change is None:
        return {"change": "—", "assessment": i18n.pick(*VERDICT_LABELS[verdict or "insufficient"], lang)}
    arrow = "▲" if change > 0 else "▼" if change < 0 else "＝"
    change_unit = i18n.pair("百分点 / pp", lang) if unit == "%" else unit
    text = f"{arrow} {signed(change)} {change_unit}".strip()
    if verdict in SIGNIFICANT and change != 0:
        better = (change > 0) == (direction == "higher")
        assessment = i18n.pick(*ASSESSMENTS["improved" if better else "worsened"], lang)
    else:
        assessment = i18n.pick(*VERDICT_LABELS[verdict or "insufficient"], lang)
    return {"change": text, "assessment": assessment}


def yoy_rows(yoy: dict, lang: str) -> list[dict]:
    """One row per indicator: this quarter's rate, the same quarter a year earlier (去年同期), the
    change and its assessment; or, where the lineage says so, why the two do not compare."""
    rows = []
    for r in yoy["indicators"]:
        if r["rate"] is None and r["previous_rate"] is None and r["comparability"] == "new":
            continue  # nothing to compare and nothing to say beyond "new"
        if r["comparability"] in ("comparable", "partial") and r.get("verdict"):
            cells = yoy_change(r["change"], r["unit"], r["direction"], r["verdict"], lang)
        else:
            why = i18n.public(i18n.pick(r["reason"], r["reason_en"], lang))[:80]
            cells = {
                "change": "—",
                "assessment": f"{i18n.pick(r['comparability_label'], r['comparability_label_en'], lang)}: {why}",
            }
        rows.append(
            {
                "code": r["indicator_code"],
                "name": i18n.pick(r["indicator_name"], r["indicator_name_en"], lang),
                "rate": fmt(r["rate"], r["unit"]),
                "previous": fmt(r["previous_rate"], r["unit"])
                + (
                    f" ({r['previous_quarter']})" if r.get("across_gap") and r.get("previous_quarter") else ""
                ),
                **cells,
            }
        )
    return rows


def yoy_columns(quarter: Quarter, lang: str) -> list[tuple[str, str]]:
    return [
        ("code", i18n.t("common.indicator", lang)),
        ("name", ""),
        ("rate", f"{i18n.pick('本季度', 'this quarter', lang)} {quarter}"),
        ("previous", i18n.pick("去年同期", "a year earlier", lang)),
        ("change", i18n.pick("同比变化", "change", lang)),
        ("assessment", i18n.pick("评价", "assessment", lang)),
    ]


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
            "action": i18n.enum("action", e["action"], lang),
            "to": i18n.enum("status", e["to_status"], lang),
            "comment": e["comment"],
        }
        for e in status["events"]
    ]
    columns = [
        ("at", "时间 / time" if lang == "zh" else "time"),
        ("action", i18n.pick("操作", "action", lang)),
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


BACK_KEYS = ("quarter", "scope", "indicator", "goals", "prefecture")


def breadcrumb(params: dict, name: str, lang: str) -> html.Nav | None:
    """指标对标 › 医院: the way back to the benchmark this page was opened from, with its filters
    (``from`` holds them; only known filter names pass, and the link stays on the benchmark page)."""
    if "from" not in params:
        return None
    back = {k: v[0] for k, v in parse_qs(params.get("from") or "").items() if k in BACK_KEYS and v}
    href = "/dash/benchmark" + (f"?{urlencode(back)}" if back else "")
    return html.Nav(
        [
            dcc.Link(f"← {i18n.t('benchmark.title', lang)}", href=href, id="hospital-back"),
            html.Span(" › ", style={"color": "#888"}),
            html.Span(name, **attrs({"aria-current": "page"})),
        ],
        id="hospital-breadcrumb",
        style={"fontSize": "13px", "margin": "2px 0 4px"},
        **attrs({"aria-label": i18n.pick("路径", "Breadcrumb", lang)}),
    )


def indicator_choices(yoy: dict, lang: str) -> list[dict]:
    """The trend's indicator picker: code and name (a code alone tells a reader little)."""
    return [
        {
            "value": r["indicator_code"],
            "label": f"{r['indicator_code']} {i18n.pick(r['indicator_name'], r['indicator_name_en'], lang)}",
        }
        for r in yoy["indicators"]
    ]


def chooser(actor, lang: str, params: dict) -> html.Div:  # noqa: ANN001
    """/hospital without an id, for staff: pick one of the hospitals in reach (type to search)."""
    options = data.hospital_options(database(), actor)
    return html.Div(
        [
            title(i18n.t("hospital.title", lang), i18n.t("hospital.choose", lang)),
            html.Label(i18n.t("hospital.choose", lang), htmlFor="hospital-choose", className="qcp-sr-only"),
            dcc.Dropdown(id="hospital-choose", options=options, searchable=True, style={"maxWidth": "560px"}),
            dcc.Store(id="hospital-choose-quarter", data=params.get("quarter")),
        ]
    )


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    if not rest:  # a hospital user's own page; staff choose one
        if actor.hospital_id is None:
            return chooser(actor, lang, params)
        rest = str(actor.hospital_id)
    if not rest.isdigit():
        raise DomainError("医院编号无效 / not a hospital id")
    db, hospital_id = database(), int(rest)
    info = data.hospital(db, actor, hospital_id)  # NotFound outside the actor's scope
    quarter = quarter_param(params, data.default_quarter(db, actor))
    # independent reads side by side, each in its own scoped unit of work (as the province overview)
    got = in_parallel(
        yoy=lambda: data.hospital_yoy(db, actor, hospital_id, quarter),
        flags=lambda: data.hospital_flags(db, actor, hospital_id, quarter),
    )
    yoy, flags = got["yoy"], got["flags"]
    codes = [r["indicator_code"] for r in yoy["indicators"]]
    first = next((f["indicator_code"] for f in flags if f["indicator_code"]), codes[0] if codes else None)
    report_href = f"/dash/report/{hospital_id}/{quarter}"
    view = {"hospital_id": hospital_id, "quarter": str(quarter)}  # the first trend is drawn here
    who = {"db": db, "actor": actor, "lang": lang}  # the reads below run outside the request's context
    charts = in_parallel(trend=lambda: trend(first, view, **who), cusum=lambda: cusum(first, view, **who))
    return html.Div(
        [
            breadcrumb(params, info["name"], lang),
            html.Div(
                [
                    title(
                        info["name"],
                        f"{info['level']}{info['grade']} · {info['type']} · "
                        f"{data.province_names(db, actor).get(info['province_code'], info['province_code'])} · "
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
                            options=indicator_choices(yoy, lang),
                            value=first,
                            clearable=False,
                            style={"width": "100%", "maxWidth": "560px"},
                        ),
                        dcc.Graph(id="hospital-trend", figure=charts["trend"], config={"displaylogo": False}),
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
                i18n.t("hospital.early_warning", lang),
                dcc.Graph(id="hospital-cusum", figure=charts["cusum"], config={"displaylogo": False}),
            ),
            section(
                i18n.t("hospital.yoy", lang),
                html.Div(
                    [
                        html.Button(i18n.t("common.export", lang), id="hospital-export"),
                        dcc.Download(id="hospital-download"),
                    ],
                    style={"margin": "0 0 6px"},
                ),
                table(
                    yoy_rows(yoy, lang),
                    yoy_columns(quarter, lang),
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


def trend(indicator: str | None, view: dict, *, db=None, actor=None, lang: str | None = None):  # noqa: ANN001, ANN201
    """The store names what to show; ``data`` re-checks the hospital against the session's actor.
    ``render`` passes database, actor and language (its reads run outside the request's context)."""
    db, actor, lang = db or database(), actor or current_actor(), lang or current_lang()
    if not indicator:
        return {}
    try:
        series = data.hospital_series(
            db, actor, int(view["hospital_id"]), Quarter.parse(view["quarter"]), indicator
        )
    except (DomainError, ValueError, KeyError, TypeError):
        return figures.message_figure(i18n.t("error.not_found", lang), title=i18n.t("error.not_found", lang))
    name = i18n.pick(series.get("indicator_name"), series.get("indicator_name_en"), lang)
    if not any(p.get("rate") is not None or p.get("pooled") is not None for p in series["points"]):
        no_data = i18n.pick("该指标各季度均暂无数据", "No data for this indicator in any quarter", lang)
        return figures.message_figure(no_data, title=f"{indicator} {name}", height=260)
    cut = series.get("break")
    note = (
        f"{cut['from_code']} → {indicator}: {i18n.public(i18n.pick(cut['reason'], cut['reason_en'], lang))}"
        if cut
        else ""
    )
    return figures.trend_figure(
        series["points"], lang, unit=series.get("unit", ""), title=f"{indicator} {name}", note=note[:300]
    )


def cusum(indicator: str | None, view: dict, *, db=None, actor=None, lang: str | None = None):  # noqa: ANN001, ANN201
    """The early-warning chart of the chosen indicator (a mean has none: said in words); ``db``,
    ``actor``, ``lang`` as for ``trend``."""
    db, actor, lang = db or database(), actor or current_actor(), lang or current_lang()
    if not indicator:
        return {}
    try:
        series = data.hospital_early_warning(
            db, actor, int(view["hospital_id"]), Quarter.parse(view["quarter"]), indicator
        )
    except (DomainError, ValueError, KeyError, TypeError):
        return figures.message_figure(i18n.t("error.not_found", lang), title=i18n.t("error.not_found", lang))
    if series is None:
        text = i18n.pick(
            "该指标无早期预警图（均值类指标或暂无数据）",
            "No early-warning chart for this indicator (a mean, or no data)",
            lang,
        )
        return figures.message_figure(text, title=indicator, height=200)
    name = i18n.pick(series["indicator_name"], series["indicator_name_en"], lang)
    return figures_early_warning.early_warning_figure(series, lang, title=f"{indicator} {name}")


REPORT_TOOLBAR = """<div class="qcp-no-print" style="margin:0 0 12px;display:flex;gap:12px;align-items:center">
<button type="button" id="report-print" data-qcp-print>打印 / 另存为 PDF · Print / save as PDF</button>
<a href="{back}">返回医院页面 / back to the hospital page</a></div>
<style>@media print {{ .qcp-no-print {{ display: none !important; }} }}</style>
<script src="{prefix}/assets/print.js"></script>"""


def with_toolbar(report_html: str, hospital_id: int, quarter: str) -> str:
    """The report with a print button (the browser's dialog also saves a PDF) and a way back; the
    toolbar does not print. The button's script is a file of ours: the CSP refuses inline scripts."""
    toolbar = REPORT_TOOLBAR.format(back=hospital_href(hospital_id, quarter), prefix=PREFIX)
    return report_html.replace("<body>", f"<body>\n{toolbar}", 1)


CSV_COLUMNS = (
    "hospital_id",
    "hospital_name",
    "quarter",
    "indicator_code",
    "indicator_name",
    "unit",
    "numerator",
    "denominator",
    "rate",
    "previous_quarter",
    "previous_indicator_code",
    "previous_numerator",
    "previous_denominator",
    "previous_rate",
    "change",
    "change_low",
    "change_high",
    "verdict",
    "comparability",
)


def hospital_csv(view: dict) -> dict | None:
    """The hospital page's table as CSV (dcc.Download data): one row per indicator of the quarter,
    this quarter's and last year's values and the change. ``data`` re-checks the hospital against
    the session's actor: another hospital's id gives nothing."""
    db, actor = database(), current_actor()
    try:
        hospital_id, quarter = int(view["hospital_id"]), Quarter.parse(view["quarter"])
        info = data.hospital(db, actor, hospital_id)
        yoy = data.hospital_yoy(db, actor, hospital_id, quarter)
    except (DomainError, ValueError, KeyError, TypeError):
        return None
    rows = [
        {
            **r,
            "hospital_id": hospital_id,
            "hospital_name": info["name"],
            "verdict": r.get("verdict_label"),
            "comparability": r.get("comparability_label"),
        }
        for r in yoy["indicators"]
    ]
    return dcc.send_bytes(to_csv(rows, CSV_COLUMNS), f"hospital-{hospital_id}-{quarter}.csv")


def feedback_report(hospital_id: int, quarter: str) -> Response:
    try:
        html_text = data.feedback_html(database(), current_actor(), hospital_id, Quarter.parse(quarter))
    except (DomainError, ValueError):
        abort(404)
    return Response(with_toolbar(html_text, hospital_id, quarter), mimetype="text/html")


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
        Output("hospital-cusum", "figure"),
        Input("hospital-indicator", "value"),
        State("hospital-view", "data"),
        prevent_initial_call=True,
    )
    def _cusum(indicator, view):  # noqa: ANN001, ANN202
        return cusum(indicator, view)

    @app.callback(
        Output("url", "pathname", allow_duplicate=True),
        Output("url", "search", allow_duplicate=True),
        Input("hospital-choose", "value"),
        State("hospital-choose-quarter", "data"),
        prevent_initial_call=True,
    )
    def _choose(hospital_id, quarter):  # noqa: ANN001, ANN202
        if hospital_id is None:
            return no_update, no_update
        path, _, search = hospital_href(hospital_id, quarter).partition("?")
        return path, f"?{search}" if search else ""

    @app.callback(
        Output("hospital-download", "data"),
        Input("hospital-export", "n_clicks"),
        State("hospital-view", "data"),
        prevent_initial_call=True,
    )
    def _export(_, view):  # noqa: ANN001, ANN202
        found = hospital_csv(view)
        if found is None:  # another hospital's id, or a forged view: say so, send nothing
            refuse()
            return no_update
        return found

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("hospital-quarter", "value"),
        State("hospital-quarter-shown", "data"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def _quarter(value, shown, search):  # noqa: ANN001, ANN202
        return quarter_search(value, shown, search)
