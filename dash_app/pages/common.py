"""Small building blocks shared by the pages: sections, KPI tiles, tables, error boxes, quarter picks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import dcc, html, no_update

from dash_app import i18n, numbers
from services.core.errors import DomainError
from services.core.quarter import Quarter

CARD = {
    "border": "1px solid #dde3ea",
    "borderRadius": "6px",
    "padding": "10px 12px",
    "margin": "10px 0",
    "background": "white",
}
GRID2 = {"display": "grid", "gridTemplateColumns": "repeat(auto-fit, minmax(560px, 1fr))", "gap": "10px"}
TABLE = {"borderCollapse": "collapse", "width": "100%", "fontSize": "13px"}
# Rows drawn in a page table: Dash renders each cell as a component, and a few thousand of them
# take the browser tens of seconds (docs/performance.md); the rest is one CSV export away.
TABLE_ROWS = 50
CELL = {"borderBottom": "1px solid #eee", "padding": "3px 6px", "textAlign": "left", "verticalAlign": "top"}


# Independent reads of one page run side by side: each opens its own unit of work (own connection,
# tenant binding and RLS), so they only share the pool.
_READS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="qcp-page-read")


def in_parallel(**reads: Callable[[], Any]) -> dict[str, Any]:
    """name → result of each read. Waits for all of them; then a failed read raises its error here."""
    futures = {name: _READS.submit(read) for name, read in reads.items()}
    wait(futures.values())
    return {name: future.result() for name, future in futures.items()}


def title(text: str, sub: str = "") -> html.Div:
    return html.Div(
        [
            html.H2(text, style={"margin": "4px 0", "fontSize": "20px"}),
            html.Div(sub, style={"color": "#555"}) if sub else None,
        ]
    )


def attrs(props: dict[str, str]) -> dict[str, Any]:
    """Hyphenated attributes (aria-*, data-*) for ``**`` into a Dash component: they are not keyword
    parameters of its signature, so a type checker would match them against the others."""
    return props


def section(heading: str, *children, id: str | None = None) -> html.Section:  # noqa: A002
    props: dict[str, Any] = {"id": id} if id else {}
    return html.Section(
        [html.H3(heading, style={"fontSize": "16px", "margin": "2px 0 8px"}), *children], style=CARD, **props
    )


def kpi(label: str, value: object, id: str | None = None) -> html.Div:  # noqa: A002
    props: dict[str, Any] = {"id": id} if id else {}
    return html.Div(
        [
            html.Div(str(value), style={"fontSize": "24px", "fontWeight": "bold"}, **props),
            html.Div(label, style={"color": "#555", "fontSize": "12px"}),
        ],
        style={**CARD, "minWidth": "120px", "margin": "0", "textAlign": "center"},
    )


def kpis(*tiles: html.Div) -> html.Div:
    return html.Div(list(tiles), style={"display": "flex", "gap": "10px", "flexWrap": "wrap"})


def table(
    rows: Sequence[dict],
    columns: Sequence[tuple[str, str]],
    *,
    id: str | None = None,  # noqa: A002
    links: dict[str, Callable[[dict[str, Any]], str]] | None = None,
) -> html.Table:
    """``columns``: (key, heading); ``links``: key → function(row) giving an href for that cell."""
    links = links or {}
    head = html.Thead(html.Tr([html.Th(h, style={**CELL, "background": "#f3f6f9"}) for _, h in columns]))

    def cell(row: dict, key: str):  # noqa: ANN202
        value = row.get(key)
        shown = numbers.number(value) if isinstance(value, float) or value is None else str(value)
        return html.Td(dcc.Link(shown, href=links[key](row)) if key in links else shown, style=CELL)

    body = html.Tbody([html.Tr([cell(r, k) for k, _ in columns]) for r in rows])
    props: dict[str, Any] = {"id": id} if id else {}
    return html.Table([head, body], style=TABLE, **props)


def shown_of(total: int, shown: int, lang: str, id: str | None = None) -> html.Div | None:  # noqa: A002
    """The note under a capped table ("showing the first 50 of 483 rows"), None when nothing is hidden."""
    if total <= shown:
        return None
    props: dict[str, Any] = {"id": id} if id else {}
    return html.Div(
        i18n.t("common.shown_of", lang).format(shown=shown, total=total),
        style={"color": "#666", "fontSize": "12px", "marginTop": "4px"},
        **props,
    )


def scroll(child, height: int = 380) -> html.Div:
    """A scroll box the keyboard can reach (tabindex 0: arrow keys scroll it; WCAG 2.1.1)."""
    return html.Div(child, style={"maxHeight": f"{height}px", "overflowY": "auto"}, tabIndex="0")


def error_box(exc: Exception, lang: str) -> html.Div:
    detail = exc.detail if isinstance(exc, DomainError) else str(exc)
    return html.Div(
        [html.Strong("⚠ "), i18n.pair(detail, lang)],
        role="alert",
        className="qcp-error",
        style={**CARD, "borderColor": "#e0a0a0", "background": "#fff4f4"},
    )


def message(text: str) -> html.Div:
    return html.Div(text, style={**CARD, "color": "#555"})


def quarter_param(params: dict, fallback: Quarter) -> Quarter:
    try:
        return Quarter.parse(params["quarter"]) if params.get("quarter") else fallback
    except ValueError:
        return fallback


def quarter_dropdown(id: str, options: list[str], value: str) -> html.Div:  # noqa: A002
    """The quarter picker; ``<id>-shown`` remembers the quarter the page was rendered for."""
    shown = options if value in options else [value, *options]
    return html.Div(
        [
            dcc.Dropdown(
                id=id,
                options=[{"value": q, "label": q} for q in shown],
                value=value,
                clearable=False,
                style={"width": "130px"},
            ),
            dcc.Store(id=f"{id}-shown", data=value),
        ]
    )


def fmt(value: float | None, unit: str = "", digits: int = numbers.RATE_DIGITS) -> str:
    """A rate with its unit by the dashboards' one number rule (``dash_app.numbers``)."""
    return numbers.rate(value, unit, digits)


def search_with(search: str | None, **changes: object) -> str:
    """The URL query with ``changes`` applied (None removes a key): filters live in the URL."""
    params = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else ""


def hospital_href(hospital_id: object, quarter: object | None = None) -> str:
    suffix = f"?quarter={quarter}" if quarter else ""
    return f"/dash/hospital/{hospital_id}{suffix}"


def quarter_search(value: str | None, shown: str | None, search: str | None, **changes: object) -> object:
    """The URL query after the quarter picker changed; nothing when it merely rendered."""
    if not value or value == shown:
        return no_update
    return search_with(search, quarter=value, **changes)
