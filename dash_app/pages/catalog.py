"""Goal catalog and changes: a year's goals and indicators with definitions, the diff between two
years, and a Sankey diagram of how goals moved across every published year."""

from __future__ import annotations

from dash import Dash, Input, Output, dcc, html

from dash_app import data, figures, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import CARD, error_box, section, table, title
from services.core.errors import DomainError

KIND_WORDS = {
    "continued": ("延续", "continued"),
    "renumbered": ("重新编号", "renumbered"),
    "redefined": ("重新定义", "redefined"),
    "split": ("拆分", "split"),
    "merged": ("合并", "merged"),
    "new": ("新增", "new"),
    "reinstated": ("恢复", "reinstated"),
    "moved_to_specialty": ("移入专业目标", "moved to specialty"),
    "moved_to_national": ("移入国家目标", "moved to national"),
}


def _indicator(ind: dict, lang: str) -> html.Li:
    direction = i18n.t(f"common.direction.{ind['direction']}", lang)
    return html.Li(
        [
            html.Strong(f"{ind['code']} {i18n.pick(ind['name'], ind['name_en'], lang)}"),
            html.Div(f"{i18n.t('common.numerator', lang)}：{ind['numerator']}", style={"color": "#444"}),
            html.Div(f"{i18n.t('common.denominator', lang)}：{ind['denominator']}", style={"color": "#444"}),
            html.Div(
                f"{ind['unit']} · {direction}" + (f" · {ind['note']}" if ind.get("note") else ""),
                style={"color": "#666", "fontSize": "12px"},
            ),
        ],
        style={"marginBottom": "6px"},
    )


def goals_view(catalog: dict, lang: str) -> html.Div:
    items = []
    for goal in catalog["goals"]:
        heading = f"{goal['code_as_published']}  {i18n.pick(goal['title'], goal['title_en'], lang)}"
        items.append(
            html.Details(
                [
                    html.Summary(heading, style={"cursor": "pointer", "fontWeight": "bold"}),
                    html.P(goal.get("summary") or "", style={"color": "#444"}),
                    html.Ul([_indicator(i, lang) for i in goal["indicators"]]),
                ],
                className="qcp-goal",
                style={**CARD, "margin": "6px 0"},
            )
        )
    return html.Div([html.Div(f"{catalog['title']} · {catalog['source']}", style={"color": "#555"}), *items])


def kinds_text(kinds: list[str], lang: str) -> str:
    return "、".join(i18n.pick(*KIND_WORDS.get(k, (k, k)), lang) for k in kinds)


def diff_rows(diff: dict, lang: str) -> list[dict]:
    return [
        {
            "from": c["from_code"] or "—",
            "to": c["to_code"] or "—",
            "title": c["to_title"] or c["from_title"] or "",
            "kinds": kinds_text(c["kinds"], lang),
            "comparability": c.get("comparability") or "—",
            "reason": i18n.pick(c["reason"], c["reason_en"], lang),
        }
        for c in diff["changes"]
    ]


def diff_view(diff: dict, lang: str) -> html.Div:
    columns = [
        ("from", str(diff["from_year"])),
        ("to", str(diff["to_year"])),
        ("title", i18n.t("common.goal", lang)),
        ("kinds", "变化 / change" if lang == "zh" else "change"),
        ("comparability", "可比性 / comparable" if lang == "zh" else "comparability"),
        ("reason", i18n.t("common.reason", lang)),
    ]
    return table(diff_rows(diff, lang), columns, id="catalog-diff-table")


def sankey_for(years: list[int], lang: str):  # noqa: ANN201
    actor = current_actor()
    diffs = [data.catalog_diff(database(), actor, a, b) for a, b in zip(years, years[1:], strict=False)]
    return figures.sankey_figure(diffs, lang, title=i18n.t("catalog.lineage", lang))


def _year_picker(id: str, years: list[int], value: int) -> dcc.Dropdown:  # noqa: A002
    return dcc.Dropdown(
        id=id,
        options=[{"value": y, "label": str(y)} for y in years],
        value=value,
        clearable=False,
        style={"width": "110px", "display": "inline-block"},
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
                _year_picker("catalog-year", years, latest),
                html.Div(goals_view(data.catalog(database(), actor, latest), lang), id="catalog-goals"),
            ),
            section(i18n.t("catalog.diff", lang), diff_controls, html.Div(id="catalog-diff")),
            section(
                i18n.t("catalog.lineage", lang),
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
        Output("catalog-goals", "children"), Input("catalog-year", "value"), prevent_initial_call=True
    )
    def _year(year):  # noqa: ANN001, ANN202
        return goals_view(data.catalog(database(), current_actor(), int(year)), current_lang())

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
