"""Indicator benchmark: funnel plot (95% / 99.8% limits: exact binomial for proportions, Poisson for
rates per N), ranked dot plot, filters for quarter / scope (province, network, peer group), the
over-dispersion choice (the QC center's setting, on or off; φ and τ² always shown), the flag rule in
force with each hospital's q-value, O/E beside the crude rate with its baseline named where the QC
center turned it on, CSV export; clicking a hospital opens its page. Hospital users see the
distribution and only their own row."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dash_app import data, figures, i18n, numbers
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


GOAL_LISTS = ("all", "national", "specialty")
BACK_KEYS = ("quarter", "scope", "indicator", "goals", "prefecture")


def indicator_labels(indicators: list[dict], lang: str, goals: str | None) -> list[dict]:
    """The indicator picker's options: all, or only the 国家目标 / 专业目标 (``goals``)."""
    return [
        {"value": i["value"], "label": i["label"] if lang == "zh" else i["label_en"]}
        for i in indicators
        if goals in (None, "", "all") or i.get("list") == goals
    ]


def prefecture_options(actor, lang: str) -> list[dict]:  # noqa: ANN001
    """全部地市 and each prefecture with a hospital the actor sees (code order)."""
    codes = sorted(set(data.hospital_prefectures(database(), actor).values()))
    named = [{"value": c, "label": i18n.pick(*_prefecture_words(c), lang)} for c in codes]
    return [{"value": "all", "label": i18n.t("benchmark.all_prefectures", lang)}, *named]


def _prefecture_words(code: str) -> tuple[str, str]:
    from services.registry.prefectures import known_prefectures

    for items in known_prefectures().values():
        for p in items:
            if p.code == code:
                return p.name, p.name_en
    return code, code


def _controls(actor, lang: str, params: dict, quarter: Quarter) -> tuple[html.Div, dict]:  # noqa: ANN001
    """The filter row, and the filters it starts with (indicator, scope, goals, prefecture)."""
    db = database()
    indicators = data.indicator_options(db, actor, quarter.year)
    goals = params.get("goals") if params.get("goals") in GOAL_LISTS else "all"
    labels = indicator_labels(indicators, lang, goals)
    codes = [i["value"] for i in labels]
    chosen = params.get("indicator") if params.get("indicator") in codes else (codes[0] if codes else None)
    scopes = data.scope_options(db, actor)
    scope = str(
        params.get("scope") if params.get("scope") in [s["value"] for s in scopes] else scopes[0]["value"]
    )
    prefectures = prefecture_options(actor, lang) if actor.hospital_id is None else []
    prefecture = (
        params.get("prefecture") if params.get("prefecture") in [p["value"] for p in prefectures] else "all"
    )
    filters = {"indicator": chosen, "scope": scope, "goals": goals, "prefecture": prefecture}
    return (
        html.Div(
            [
                quarter_dropdown("bm-quarter", data.quarters(db, actor), str(quarter)),
                dcc.RadioItems(
                    id="bm-goals",
                    options=[{"value": g, "label": i18n.t(f"goals.{g}", lang)} for g in GOAL_LISTS],
                    value=goals,
                    inline=True,
                    inputStyle={"marginRight": "3px"},
                    labelStyle={"marginRight": "8px"},
                ),
                dcc.Dropdown(
                    id="bm-indicator", options=labels, value=chosen, clearable=False, style={"width": "520px"}
                ),
                dcc.Dropdown(
                    id="bm-scope", options=scopes, value=scope, clearable=False, style={"width": "300px"}
                ),
                dcc.Dropdown(
                    id="bm-prefecture",
                    options=prefectures,
                    value=prefecture,
                    clearable=False,
                    style={"width": "180px", **({} if prefectures else {"display": "none"})},
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
        filters,
    )


def back_search(filters: dict) -> str:
    """The benchmark's filters as a query (``?quarter=…&scope=…``), for the way back from a hospital."""
    return urlencode({k: v for k, v in filters.items() if k in BACK_KEYS and v not in (None, "", "all")})


def drill_href(hospital_id: object, filters: dict) -> str:
    """A hospital's page, remembering the benchmark it was opened from (its breadcrumb leads back)."""
    return f"{hospital_href(hospital_id, filters.get('quarter'))}&{urlencode({'from': back_search(filters)})}"


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    """The whole page in one answer: the first view is built here, the callback only redraws it
    when a filter changes (one round trip less before the page is usable)."""
    quarter = quarter_param(params, data.default_quarter(database(), actor))
    controls, filters = _controls(actor, lang, params, quarter)
    summary, funnel, dots, rows = benchmark_view(
        str(quarter), filters["scope"], filters["indicator"], None, filters["prefecture"], filters["goals"]
    )
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
        f"{i18n.t('benchmark.phi', lang)} = {fmt(phi)}, τ² = {fmt(tau2, digits=numbers.TAU2_DIGITS)}"
        if phi is not None
        else "",
        i18n.pick("已校正", "adjusted", lang)
        if applied
        else (f"({i18n.t('benchmark.recommended', lang)})" if s.get("overdispersion_recommended") else ""),
        i18n.pick(*rule, lang) if rule else "",
        f"{i18n.pick('控制限', 'limits', lang)}: {i18n.enum('limits', s['limits_method'], lang)}"
        if s.get("limits_method")
        else "",
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
                f"{i18n.t('benchmark.phi', lang)} = {fmt(oe.get('phi'))}, τ² = {fmt(oe.get('tau2'), digits=numbers.TAU2_DIGITS)}"
                + (f" · {i18n.pick('已校正', 'adjusted', lang)}" if oe.get("overdispersion_applied") else ""),
                id="bm-oe-baseline",
            )
        )
    return html.Div(lines)


def row_table(rows: list[dict], s: dict, filters: dict, lang: str) -> html.Div:
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
                links={"hospital_name": lambda r: drill_href(r["hospital_id"], filters)},
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


def charts(
    rows: list[dict], s: dict, name: str, lang: str, *, own_only: bool, previous: dict | None = None
) -> tuple:
    """The funnel and the dot plot (or the O/E funnel); a chart with nothing to draw says why.
    ``previous`` (``data.last_year``) adds each hospital's position a year earlier to the funnel."""
    if not figures.drawable(rows):
        why = figures.message_figure(
            i18n.t("benchmark.no_own_data" if own_only else "benchmark.no_data", lang), title=name
        )
        return why, why
    funnel = (
        figures.funnel_figure(
            rows,
            s,
            lang,
            title=name,
            y_title=f"{i18n.pick(s.get('indicator_name'), s.get('indicator_name_en'), lang)[:24] or i18n.t('common.rate', lang)} ({s.get('unit', '')})",
            previous=(previous or {}).get("rows"),
            previous_label=f"{previous['quarter']} {previous['indicator_code']}" if previous else "",
        )
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


def in_prefecture(rows: list[dict], prefecture: str | None, actor) -> list[dict]:  # noqa: ANN001
    """The rows of one prefecture's hospitals (all rows for 全部地市). The limits and the pooled rate
    stay those of the whole scope: a prefecture is shown against its province, not against itself."""
    if prefecture in (None, "", "all"):
        return rows
    of = data.hospital_prefectures(database(), actor)
    return [r for r in rows if of.get(r["hospital_id"]) == prefecture]


def benchmark_view(
    quarter: str,
    scope: str,
    indicator: str | None,
    overdispersion: bool | None,
    prefecture: str | None = None,
    goals: str | None = None,
) -> tuple:
    actor, lang = current_actor(), current_lang()
    filters = {
        "quarter": quarter,
        "scope": scope,
        "indicator": indicator,
        "goals": goals,
        "prefecture": prefecture,
    }
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
    rows = in_prefecture(s.pop("hospitals"), prefecture, actor)
    name = f"{s['indicator_code']} {i18n.pick(s['indicator_name'], s['indicator_name_en'], lang)}"
    summary = summary_line(s, report, lang)
    if prefecture not in (None, "", "all"):
        place = i18n.pick(*_prefecture_words(prefecture), lang)
        note = i18n.t("benchmark.prefecture_note", lang).format(place=place, n=len(rows))
        summary = html.Div([summary, html.Div(note, id="bm-prefecture-note")])
        name = f"{name} · {place}"
    previous = None
    # the year-earlier trail is drawn up to figures.MANY hospitals (beyond, the funnel is a density
    # layer): a national scope would compute the whole benchmark of a year earlier for nothing
    if s.get("measure") and 0 < len(figures.drawable(rows)) <= figures.MANY:
        previous = data.last_year(
            database(), actor, quarter=Quarter.parse(quarter), scope=scope, indicator=s["indicator_code"]
        )
    if previous:
        previous["rows"] = in_prefecture(previous["rows"], prefecture, actor)
    funnel, second = charts(rows, s, name, lang, own_only=report["own_hospital_only"], previous=previous)
    return summary, funnel, second, row_table(rows, s, filters, lang)


def register(app: Dash) -> None:
    @app.callback(
        Output("bm-summary", "children"),
        Output("bm-funnel", "figure"),
        Output("bm-dots", "figure"),
        Output("bm-table", "children"),
        Input("bm-scope", "value"),
        Input("bm-indicator", "value"),
        Input("bm-overdispersion", "value"),
        Input("bm-prefecture", "value"),
        State("bm-quarter", "value"),
        State("bm-goals", "value"),
        prevent_initial_call=True,
    )
    def _view(scope, indicator, overdispersion, prefecture, quarter, goals):  # noqa: ANN001, ANN202
        return benchmark_view(quarter, scope, indicator, od_argument(overdispersion), prefecture, goals)

    @app.callback(
        Output("bm-indicator", "options"),
        Output("bm-indicator", "value"),
        Input("bm-goals", "value"),
        State("bm-indicator", "value"),
        State("bm-quarter", "value"),
        prevent_initial_call=True,
    )
    def _goals(goals, indicator, quarter):  # noqa: ANN001, ANN202
        actor, lang = current_actor(), current_lang()
        indicators = data.indicator_options(database(), actor, Quarter.parse(quarter).year)
        labels = indicator_labels(indicators, lang, goals)
        codes = [o["value"] for o in labels]
        return labels, indicator if indicator in codes else (codes[0] if codes else None)

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("bm-quarter", "value"),
        State("bm-quarter-shown", "data"),
        State("bm-scope", "value"),
        State("bm-indicator", "value"),
        State("bm-goals", "value"),
        State("bm-prefecture", "value"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def _quarter(quarter, shown, scope, indicator, goals, prefecture, search):  # noqa: ANN001, ANN202
        return quarter_search(
            quarter,
            shown,
            search,
            scope=scope,
            indicator=indicator,
            goals=None if goals == "all" else goals,
            prefecture=None if prefecture == "all" else prefecture,
        )

    @app.callback(
        Output("url", "pathname", allow_duplicate=True),
        Output("url", "search", allow_duplicate=True),
        Input("bm-funnel", "clickData"),
        Input("bm-dots", "clickData"),
        State("bm-quarter", "value"),
        State("bm-scope", "value"),
        State("bm-indicator", "value"),
        State("bm-goals", "value"),
        State("bm-prefecture", "value"),
        prevent_initial_call=True,
    )
    def _open_hospital(funnel_click, dot_click, quarter, scope, indicator, goals, prefecture):  # noqa: ANN001, ANN202
        click = dot_click if ctx.triggered_id == "bm-dots" else funnel_click
        hospital_id = clicked_hospital(click, current_actor())
        if hospital_id is None:
            return no_update, no_update
        filters = {
            "quarter": quarter,
            "scope": scope,
            "indicator": indicator,
            "goals": goals,
            "prefecture": prefecture,
        }
        path, _, search = drill_href(hospital_id, filters).partition("?")
        return path, f"?{search}"

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
