"""Goal catalog and changes: a year's goals and indicators with definitions (as of the year's current
revision, with its reason and history), core strategies, verification marks and sources; withdrawn
indicators, pending specialty goals and moves with an unknown destination; the diff between two
years, and a Sankey diagram of how goals moved across every published year. Lineage kinds and
comparability are shown in the session's language (``dash_app.i18n``)."""

from __future__ import annotations

from dash import Dash, Input, Output, dcc, html
from dash.development.base_component import Component

from dash_app import data, figures, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.i18n import public
from dash_app.pages.common import CARD, error_box, section, table, title
from services.core.errors import DomainError

MUTED = {"color": "#666", "fontSize": "12px"}


def _colon(lang: str) -> str:
    return ": " if lang == "en" else "："


def _marks(item: dict, lang: str, docs: dict[str, dict] | None = None) -> str:
    """ "核实：已核实 · 来源：《…通知》（指标 6）" — the cited documents by title (their ids where
    the catalog lists no such document); empty for an item that says nothing."""
    parts = []
    if item.get("verification"):
        parts.append(
            f"{i18n.t('catalog.verification', lang)}{_colon(lang)}{i18n.verification(item['verification'], lang)}"
        )
    if item.get("sources"):
        note = public(item.get("source_note"))
        cited = "、".join(
            f"《{(docs or {})[s]['title']}》" if s in (docs or {}) else s for s in item["sources"]
        )
        parts.append(f"{i18n.t('catalog.sources', lang)}{_colon(lang)}{cited}{f'（{note}）' if note else ''}")
    return " · ".join(parts)


def _indicator(ind: dict, lang: str, docs: dict[str, dict]) -> html.Li:
    direction = i18n.t(f"common.direction.{ind['direction']}", lang)
    marks = _marks(ind, lang, docs)
    return html.Li(
        [
            html.Strong(f"{ind['code']} {i18n.pick(ind['name'], ind['name_en'], lang)}"),
            html.Div(
                f"{i18n.t('common.numerator', lang)}{_colon(lang)}{ind['numerator']}", style={"color": "#444"}
            ),
            html.Div(
                f"{i18n.t('common.denominator', lang)}{_colon(lang)}{ind['denominator']}",
                style={"color": "#444"},
            ),
            html.Div(
                f"{ind['unit']} · {direction}"
                + (f" · {public(ind['note'])}" if public(ind.get("note")) else ""),
                style=MUTED,
            ),
            *([html.Div(marks, style=MUTED, className="qcp-marks")] if marks else []),
        ],
        style={"marginBottom": "6px"},
    )


def _goal(goal: dict, lang: str, docs: dict[str, dict], *, opened: bool = False) -> html.Details:
    heading = f"{goal['code_as_published']}  {i18n.pick(goal['title'], goal['title_en'], lang)}"
    marks = _marks(goal, lang, docs)
    if goal.get("code_inferred"):
        marks = " · ".join(
            x for x in (marks, f"{goal['code']}{_colon(lang)}{i18n.t('catalog.code_inferred', lang)}") if x
        )
    strategies = goal.get("core_strategies") or []
    return html.Details(
        [
            html.Summary(heading, style={"cursor": "pointer", "fontWeight": "bold"}),
            html.P(goal.get("summary") or "", style={"color": "#444"}),
            *([html.Div(marks, style=MUTED, className="qcp-marks")] if marks else []),
            *(
                [
                    html.Div(i18n.t("catalog.core_strategies", lang), style={"fontWeight": "bold"}),
                    html.Ol([html.Li(x) for x in strategies], className="qcp-core-strategies"),
                ]
                if strategies
                else []
            ),
            html.Ul([_indicator(i, lang, docs) for i in goal["indicators"]]),
        ],
        className="qcp-goal",
        open=opened,
        style={**CARD, "margin": "6px 0"},
    )


def _header(catalog: dict, lang: str) -> list:
    revision = i18n.t("catalog.revision", lang).format(revision=catalog.get("revision", 1))
    out: list[Component] = [
        html.Div(
            f"{catalog['title']} · {public(catalog['source'])} · {revision}",
            style={"color": "#555"},
            id="catalog-citation",
        )
    ]
    if catalog.get("revision", 1) > 1:
        reason = i18n.pick(catalog.get("revision_reason"), catalog.get("revision_reason_en"), lang)
        out.append(html.Div(f"{i18n.t('catalog.revision_reason', lang)}{_colon(lang)}{reason}", style=MUTED))
    history = [
        f"{i18n.t('catalog.revision', lang).format(revision=r['revision'])} "
        f"{(r.get('published_at') or '')[:10]} {i18n.pick(r.get('reason'), r.get('reason_en'), lang)}".strip()
        for r in catalog.get("revisions") or []
    ]
    if len(history) > 1:
        out.append(
            html.Details(
                [html.Summary(i18n.t("catalog.revisions", lang)), html.Ul([html.Li(h) for h in history])]
            )
        )
    return out


def _notes(catalog: dict, lang: str) -> list:
    """Pending specialty goals, moves with an unknown destination, withdrawn indicators, sources."""
    out: list[Component] = []
    if catalog.get("pending"):
        out.append(
            html.Div(
                f"{i18n.t('catalog.pending', lang)}{_colon(lang)}{'、'.join(catalog['pending'])}", style=MUTED
            )
        )
    moved = [
        e
        for e in catalog.get("retired") or []
        if e.get("to_code") is None and "moved_to_specialty" in e["kinds"]
    ]
    if moved:
        codes = "、".join(
            e["from_code"] + (f" → {e['destination']}" if e.get("destination") else "") for e in moved
        )
        out.append(html.Div(f"{i18n.t('catalog.moved_unknown', lang)}{_colon(lang)}{codes}", style=MUTED))
    withdrawn = catalog.get("withdrawn") or []
    if withdrawn:
        items = []
        for i in withdrawn:
            text = f"{i['code']} {i18n.pick(i['name'], i['name_en'], lang)} · " + i18n.t(
                "catalog.withdrawn_by", lang
            ).format(revision=i["withdrawn_revision"])
            if i.get("replaced_by"):
                text += f" · {i18n.t('catalog.replaced_by', lang)} {', '.join(i['replaced_by'])}"
            reason = i18n.pick(i.get("withdrawn_reason"), i.get("withdrawn_reason_en"), lang)
            items.append(html.Li(f"{text}{_colon(lang)}{reason}" if reason else text))
        out.append(html.Details([html.Summary(i18n.t("catalog.withdrawn", lang)), html.Ul(items)], open=True))
    sources = catalog.get("sources") or []
    if sources:
        out.append(
            html.Details(
                [
                    html.Summary(i18n.t("catalog.source_documents", lang)),
                    html.Ul(
                        [
                            html.Li(
                                [
                                    f"{s['id']}：{s['title']}（{s['issuer']}{'，' + s['date'] if s.get('date') else ''}） ",
                                    html.A(s["url"], href=s["url"]),
                                ]
                            )
                            for s in sources
                        ]
                    ),
                ],
                className="qcp-sources",
            )
        )
    return out


def _hit(query: str, *texts: object) -> bool:
    return any(query in str(t or "").casefold() for t in texts)


def search_goals(goals: list[dict], query: str | None) -> list[dict]:
    """Goals whose code or title holds ``query`` (every indicator kept), else goals with indicators
    whose code or name holds it (only those indicators); case-insensitive, Chinese or English."""
    q = (query or "").strip().casefold()
    if not q:
        return goals
    found = []
    for g in goals:
        if _hit(q, g["code"], g["code_as_published"], g["title"], g["title_en"]):
            found.append(g)
            continue
        indicators = [i for i in g["indicators"] if _hit(q, i["code"], i["name"], i["name_en"])]
        if indicators:
            found.append({**g, "indicators": indicators})
    return found


def goals_view(catalog: dict, lang: str, query: str | None = None) -> html.Div:
    docs = {d["id"]: d for d in catalog.get("sources") or []}
    goals = search_goals(catalog["goals"], query)
    query = (query or "").strip()
    searched = bool(query)
    shown: list = [_goal(g, lang, docs, opened=searched) for g in goals]  # a search opens what it found
    if searched:
        count = i18n.t("catalog.found", lang).format(
            goals=len(goals), indicators=sum(len(g["indicators"]) for g in goals), query=query
        )
        note = html.Div(count, id="catalog-found", role="status", style={"margin": "6px 0"})
        shown = [note, *(shown or [html.Div(i18n.t("catalog.nothing_found", lang), style=MUTED)])]
    return html.Div([*_header(catalog, lang), *_notes(catalog, lang), *shown])


def kinds_text(kinds: list[str], lang: str) -> str:
    return i18n.lineage_kinds(kinds, lang)


def diff_rows(diff: dict, lang: str) -> list[dict]:
    return [
        {
            "from": c["from_code"] or "—",
            "to": c["to_code"] or ("?" if "moved_to_specialty" in c["kinds"] else "—"),
            "title": c["to_title"] or c["from_title"] or "",
            "kinds": kinds_text(c["kinds"], lang),
            "comparability": i18n.comparability(c.get("comparability"), lang),
            "reason": public(i18n.pick(c["reason"], c["reason_en"], lang)),
        }
        for c in diff["changes"]
    ]


def diff_view(diff: dict, lang: str) -> html.Table:
    columns = [
        ("from", str(diff["from_year"])),
        ("to", str(diff["to_year"])),
        ("title", i18n.t("common.goal", lang)),
        ("kinds", i18n.t("catalog.change", lang)),
        ("comparability", i18n.t("catalog.comparability", lang)),
        ("reason", i18n.t("common.reason", lang)),
    ]
    return table(diff_rows(diff, lang), columns, id="catalog-diff-table")


def sankey_for(years: list[int], lang: str, *, show_new: bool = False):  # noqa: ANN201
    actor = current_actor()
    diffs = [data.catalog_diff(database(), actor, a, b) for a, b in zip(years, years[1:], strict=False)]
    return figures.sankey_figure(diffs, lang, title=i18n.t("catalog.lineage", lang), show_new=show_new)


LEGEND_KINDS = ("continued", "renumbered", "redefined", "split", "new", "retired")


def sankey_legend(lang: str) -> html.Div:
    """What each flow colour means (a Sankey has no legend of its own); split and merged share one."""

    def label(kind: str) -> str:
        if kind == "split":
            return i18n.lineage_kinds(["split", "merged"], lang)
        if kind == "retired":
            return i18n.t("catalog.retired_node", lang)
        return i18n.t(f"lineage.kind.{kind}", lang)

    swatch = {"display": "inline-block", "width": "22px", "height": "10px", "marginRight": "4px"}
    return html.Div(
        [
            html.Span(f"{i18n.t('catalog.legend', lang)}{_colon(lang)}", style={"fontWeight": "bold"}),
            *[
                html.Span(
                    [html.Span(style={**swatch, "background": figures.KIND_COLORS[k]}), label(k)],
                    style={"marginRight": "14px"},
                )
                for k in LEGEND_KINDS
            ],
        ],
        id="catalog-sankey-legend",
        style={"fontSize": "13px", "margin": "4px 0"},
    )


def _year_picker(id: str, years: list[int], value: int, labels: dict[int, str] | None = None) -> dcc.Dropdown:  # noqa: A002
    return dcc.Dropdown(
        id=id,
        options=[{"value": y, "label": (labels or {}).get(y, str(y))} for y in years],
        value=value,
        clearable=False,
        style={"width": "180px", "display": "inline-block"},
    )


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    years = data.catalog_years(database(), actor)
    if not years:
        return html.Div(i18n.t("common.no_data", lang))
    latest, first = years[-1], years[0]
    diff_controls = html.Div(
        [_year_picker("catalog-from", years, first), " → ", _year_picker("catalog-to", years, latest)],
        style={"display": "flex", "gap": "8px"},
    )
    return html.Div(
        [
            title(i18n.t("catalog.title", lang)),
            section(
                i18n.t("catalog.year", lang),
                html.Div(
                    [
                        _year_picker(
                            "catalog-year", years, latest, data.catalog_year_labels(database(), actor, lang)
                        ),
                        html.Label(
                            i18n.t("catalog.search", lang), htmlFor="catalog-search", className="qcp-sr-only"
                        ),
                        dcc.Input(
                            id="catalog-search",
                            type="search",
                            debounce=True,
                            placeholder=i18n.t("catalog.search_hint", lang),
                            style={"width": "420px", "padding": "6px"},
                        ),
                    ],
                    style={"display": "flex", "gap": "10px", "alignItems": "center"},
                ),
                html.Div(goals_view(data.catalog(database(), actor, latest), lang), id="catalog-goals"),
            ),
            section(i18n.t("catalog.diff", lang), diff_controls, html.Div(id="catalog-diff")),
            section(
                i18n.t("catalog.lineage", lang),
                dcc.Checklist(
                    id="catalog-show-new",
                    options=[{"value": "new", "label": i18n.t("catalog.show_new", lang)}],
                    value=[],
                    inline=True,
                ),
                sankey_legend(lang),
                dcc.Graph(
                    id="catalog-sankey",
                    figure=sankey_for(years, lang) if len(years) > 1 else {},
                    config={"displaylogo": False},
                ),
            ),
        ]
    )


def register(app: Dash) -> None:
    @app.callback(
        Output("catalog-goals", "children"),
        Input("catalog-year", "value"),
        Input("catalog-search", "value"),
        prevent_initial_call=True,
    )
    def _year(year, query):  # noqa: ANN001, ANN202
        return goals_view(data.catalog(database(), current_actor(), int(year)), current_lang(), query)

    @app.callback(
        Output("catalog-sankey", "figure"), Input("catalog-show-new", "value"), prevent_initial_call=True
    )
    def _sankey(show):  # noqa: ANN001, ANN202
        years = data.catalog_years(database(), current_actor())
        return sankey_for(years, current_lang(), show_new="new" in (show or []))

    @app.callback(
        Output("catalog-diff", "children"), Input("catalog-from", "value"), Input("catalog-to", "value")
    )
    def _diff(from_year, to_year):  # noqa: ANN001, ANN202
        try:
            return diff_view(
                data.catalog_diff(database(), current_actor(), int(from_year), int(to_year)), current_lang()
            )
        except DomainError as exc:
            return error_box(exc, current_lang())
