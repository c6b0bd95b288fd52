"""Indicator benchmark: funnel plot (95% / 99.8% limits: exact binomial for proportions, Poisson for
rates per N), ranked dot plot, filters for quarter / scope (province, network, peer group), the
over-dispersion choice (the QC center's setting, on or off; φ and τ² always shown), the flag rule in
force with each hospital's q-value, O/E beside the crude rate with its baseline named where the QC
center turned it on, CSV export; clicking a hospital opens its page. Hospital users see the
distribution and only their own row."""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dash_app import data, figures, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import (
    GRID2,
    TABLE_ROWS,
    error_box,
    fmt,
    hospital_href,
    quarter_dropdown,
    quarter_param,
    quarter_search,
    section,
    shown_of,
    table,
    title,
)
from services.benchmark import views
from services.benchmark.exports import to_csv
from services.core.errors import DomainError
from services.core.quarter import Quarter

CONTROL = {"display": "flex", "gap": "10px", "alignItems": "center", "flexWrap": "wrap"}
# the over-dispersion choice: the QC center's setting (auto unless it turned it off), or forced
OD_CHOICES = {
    "setting": ("过度离散：按质控中心设置", "Over-dispersion: the QC center's setting"),
    "on": ("校正", "adjust"),
    "off": ("不校正", "do not adjust"),
}
RULE_WORDS = {
    "limits": ("标记规则：控制限", "flag rule: control limits"),
    "fdr": ("标记规则：错误发现率（BH q 值）", "flag rule: false discovery rate (BH q-values)"),
}


def od_argument(choice: str | None) -> bool | None:
    """The page's over-dispersion choice → ``benchmark(overdispersion=…)`` (None: the setting)."""
    return {"on": True, "off": False}.get(choice or "setting")


def _controls(actor, lang: str, params: dict, quarter: Quarter) -> tuple[html.Div, str | None, str]:  # noqa: ANN001
    """The filter row, and the indicator and scope it starts with."""
    db = database()
    indicators = data.indicator_options(db, actor, quarter.year)
    labels = [
        {"value": i["value"], "label": i["label"] if lang == "zh" else i["label_en"]} for i in indicators
    ]
    codes = [i["value"] for i in indicators]
    chosen = params.get("indicator") if params.get("indicator") in codes else (codes[0] if codes else None)
    scopes = data.scope_options(db, actor)
    scope = str(
        params.get("scope") if params.get("scope") in [s["value"] for s in scopes] else scopes[0]["value"]
    )
    return (
        html.Div(
            [
                quarter_dropdown("bm-quarter", data.quarters(db, actor), str(quarter)),
                dcc.Dropdown(
                    id="bm-indicator", options=labels, value=chosen, clearable=False, style={"width": "520px"}
                ),
                dcc.Dropdown(
                    id="bm-scope", options=scopes, value=scope, clearable=False, style={"width": "300px"}
                ),
                dcc.RadioItems(
                    id="bm-overdispersion",
                    options=[
                        {"value": value, "label": i18n.pick(zh, en, lang)}
                        for value, (zh, en) in OD_CHOICES.items()
                    ],
                    value="setting",
                    inline=True,
                ),
                html.Button(i18n.t("common.export", lang), id="bm-export"),
                dcc.Download(id="bm-download"),
            ],
            style=CONTROL,
        ),
        chosen,
        scope,
    )


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    """The whole page in one answer: the first view is built here, the callback only redraws it
    when a filter changes (one round trip less before the page is usable)."""
    quarter = quarter_param(params, data.default_quarter(database(), actor))
    controls, indicator, scope = _controls(actor, lang, params, quarter)
    summary, funnel, dots, rows = benchmark_view(str(quarter), scope, indicator, None)
    return html.Div(
        [
            # hospital users' points open nothing but their own page: no promise of other hospitals
            title(
                i18n.t("benchmark.title", lang),
                "" if actor.hospital_id else i18n.t("benchmark.click_hint", lang),
            ),
            controls,
            html.Div(summary, id="bm-summary", style={"margin": "8px 0"}),
            html.Div(
                [
                    section(
                        i18n.t("benchmark.funnel", lang),
                        dcc.Graph(id="bm-funnel", figure=funnel, config={"displaylogo": False}),
                    ),
                    section(
                        i18n.t("benchmark.dots", lang),
                        dcc.Graph(id="bm-dots", figure=dots, config={"displaylogo": False}),
                    ),
                ],
                style=GRID2,
            ),
            section(i18n.t("common.hospital", lang), html.Div(rows, id="bm-table")),
        ]
    )


def summary_line(s: dict, meta: dict, lang: str) -> html.Div:
    phi, tau2 = s.get("phi"), s.get("tau2")
    applied = s.get("overdispersion_applied")
    rule = RULE_WORDS.get(s.get("flag_rule") or "") if s.get("measure") else None
    parts = [
        f"{i18n.pick(meta['scope_label'], meta['scope_label_en'], lang)} · {meta['quarter']}",
        f"{i18n.t('common.pooled', lang)} {fmt(s.get('pooled_rate'), s['unit'])}",
        f"{i18n.t('benchmark.phi', lang)} = {fmt(phi)}, τ² = {fmt(tau2, digits=5)}"
        if phi is not None
        else "",
        i18n.pick("已校正", "adjusted", lang)
        if applied
        else (f"({i18n.t('benchmark.recommended', lang)})" if s.get("overdispersion_recommended") else ""),
        i18n.pick(*rule, lang) if rule else "",
        f"{i18n.pick('控制限', 'limits', lang)}: {s['limits_method']}" if s.get("limits_method") else "",
        f"{i18n.pick('最小分母', 'minimum denominator', lang)} {s.get('min_denominator')}",
        i18n.pair(meta["data_note"], lang),
        i18n.t("benchmark.own_only", lang) if meta["own_hospital_only"] else "",
    ]
    lines = [html.Div(" · ".join(p for p in parts if p), id="bm-summary-text")]
    oe = s.get("oe")
    if oe:
        base = oe["baseline"]
        lines.append(
            html.Div(
                f"O/E · {i18n.pick(base['label'], base['label_en'], lang)} · "
                f"{i18n.t('benchmark.phi', lang)} = {fmt(oe.get('phi'))}, τ² = {fmt(oe.get('tau2'), digits=5)}"
                + (f" · {i18n.pick('已校正', 'adjusted', lang)}" if oe.get("overdispersion_applied") else ""),
                id="bm-oe-baseline",
            )
        )
    return html.Div(lines)


def row_table(rows: list[dict], s: dict, quarter: str, lang: str) -> html.Div:
    """The hospitals lagging first (``lagging_first``), the first TABLE_ROWS of them (the export holds
    every row)."""
    ranked = views.lagging_first(rows, s.get("direction", "higher"))
    shown = [
        {
            **r,
            "signal": figures.signal_label(r["signal"], lang),
            "flag_signal": figures.signal_label(r.get("flag_signal"), lang),
            "oe_signal": figures.signal_label(r.get("oe_signal"), lang) if r.get("oe_signal") else None,
        }
        for r in ranked[:TABLE_ROWS]
    ]
    columns = [
        ("hospital_name", i18n.t("common.hospital", lang)),
        ("numerator", i18n.t("common.numerator", lang)),
        ("denominator", i18n.t("common.denominator", lang)),
        ("rate", f"{i18n.t('common.rate', lang)} ({s['unit']})"),
        ("ci95_low", "95% CI −"),
        ("ci95_high", "95% CI +"),
        ("signal", i18n.t("common.signal", lang)),
    ]
    if s.get("measure"):
        columns += [("q", "q"), ("flag_signal", i18n.pick("标记依据", "flagged by the rule", lang))]
    if s.get("oe"):
        columns += [
            ("expected", i18n.pick("期望数 E", "expected E", lang)),
            ("oe", "O/E"),
            ("oe_ci95_low", "O/E 95% CI −"),
            ("oe_ci95_high", "O/E 95% CI +"),
            ("oe_signal", i18n.pick("O/E 信号", "O/E signal", lang)),
        ]
    columns.append(("percentile_rank", "P"))
    return html.Div(
        [
            html.Div(i18n.t("benchmark.table_order", lang), style={"color": "#555", "fontSize": "12px"}),
            table(
                shown,
                columns,
                id="bm-rows",
                links={"hospital_name": lambda r: hospital_href(r["hospital_id"], quarter)},
            ),
            shown_of(len(rows), len(shown), lang, id="bm-rows-note"),
        ]
    )


def clicked_hospital(click: dict | None, actor) -> int | None:  # noqa: ANN001
    """The hospital id a click on the funnel or dot plot names (``customdata``), or None: a limit
    line, the density layer, or, for a hospital user, any hospital but its own (the hospital page
    refuses those too; the figures carry no other hospital's id for them)."""
    points = (click or {}).get("points") or []
    raw = points[0].get("customdata") if points else None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str) or not str(raw).isdigit():
        return None
    hospital_id = int(raw)
    if actor.hospital_id is not None and hospital_id != actor.hospital_id:
        return None
    return hospital_id


def charts(rows: list[dict], s: dict, name: str, lang: str, *, own_only: bool) -> tuple:
    """The funnel and the dot plot (or the O/E funnel); a chart with nothing to draw says why."""
    if not figures.drawable(rows):
        why = figures.message_figure(
            i18n.t("benchmark.no_own_data" if own_only else "benchmark.no_data", lang), title=name
        )
        return why, why
    funnel = (
        figures.funnel_figure(rows, s, lang, title=name)
        if s.get("measure")
        else figures.message_figure(
            i18n.pick(
                "均值类指标，不作漏斗图；见排序点图", "A mean: no funnel; see the ranked dot plot", lang
            ),
            title=name,
        )
    )
    # where the QC center turned O/E on, its funnel takes the place of the dot plot (the table keeps both)
    second = (
        figures.oe_funnel_figure(rows, s, lang, title=f"O/E · {name}")
        if s.get("oe")
        else figures.dot_plot(rows, s, lang, title=name)
    )
    return funnel, second


def benchmark_view(quarter: str, scope: str, indicator: str | None, overdispersion: bool | None) -> tuple:
    actor, lang = current_actor(), current_lang()
    try:
        report = data.benchmark(
            database(),
            actor,
            quarter=Quarter.parse(quarter),
            scope=scope,
            indicator=indicator,
            overdispersion=overdispersion,
        )
    except (DomainError, ValueError) as exc:
        return error_box(exc, lang), {}, {}, None
    s = report["indicators"][0]
    rows = s.pop("hospitals")
    name = i18n.pick(s["indicator_name"], s["indicator_name_en"], lang)
    funnel, second = charts(rows, s, name, lang, own_only=report["own_hospital_only"])
    return summary_line(s, report, lang), funnel, second, row_table(rows, s, quarter, lang)


def register(app: Dash) -> None:
    @app.callback(
        Output("bm-summary", "children"),
        Output("bm-funnel", "figure"),
        Output("bm-dots", "figure"),
        Output("bm-table", "children"),
        Input("bm-scope", "value"),
        Input("bm-indicator", "value"),
        Input("bm-overdispersion", "value"),
        State("bm-quarter", "value"),
        prevent_initial_call=True,
    )
    def _view(scope, indicator, overdispersion, quarter):  # noqa: ANN001, ANN202
        return benchmark_view(quarter, scope, indicator, od_argument(overdispersion))

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("bm-quarter", "value"),
        State("bm-quarter-shown", "data"),
        State("bm-scope", "value"),
        State("bm-indicator", "value"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def _quarter(quarter, shown, scope, indicator, search):  # noqa: ANN001, ANN202
        return quarter_search(quarter, shown, search, scope=scope, indicator=indicator)

    @app.callback(
        Output("url", "pathname", allow_duplicate=True),
        Output("url", "search", allow_duplicate=True),
        Input("bm-funnel", "clickData"),
        Input("bm-dots", "clickData"),
        State("bm-quarter", "value"),
        prevent_initial_call=True,
    )
    def _open_hospital(funnel_click, dot_click, quarter):  # noqa: ANN001, ANN202
        click = dot_click if ctx.triggered_id == "bm-dots" else funnel_click
        hospital_id = clicked_hospital(click, current_actor())
        if hospital_id is None:
            return no_update, no_update
        path, _, search = hospital_href(hospital_id, quarter).partition("?")
        return path, f"?{search}" if search else ""

    @app.callback(
        Output("bm-download", "data"),
        Input("bm-export", "n_clicks"),
        State("bm-quarter", "value"),
        State("bm-scope", "value"),
        State("bm-indicator", "value"),
        State("bm-overdispersion", "value"),
        prevent_initial_call=True,
    )
    def _export(_, quarter, scope, indicator, overdispersion):  # noqa: ANN001, ANN202
        rows, columns = data.benchmark_table(
            database(),
            current_actor(),
            quarter=Quarter.parse(quarter),
            scope=scope,
            indicator=indicator,
            overdispersion=od_argument(overdispersion),
        )
        return dcc.send_bytes(to_csv(rows, columns), f"benchmark-{quarter}-{indicator}.csv")
