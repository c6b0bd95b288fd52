"""The inbox: the organisation's notifications, newest first, each marked read by its button; the
unread count also sits in the header of every page (shell.py)."""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html

from dash_app import data_notifications, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages import inbox_settings
from dash_app.pages.common import message, section, title


def _item(item: dict[str, Any], lang: str) -> html.Article:
    en = lang == "en"
    unread = item["read_at"] is None
    return html.Article(
        [
            html.Strong(item["title_en"] if en else item["title"]),
            html.Span(
                f"  {item['created_at'][:16].replace('T', ' ')}", style={"color": "#666", "fontSize": "12px"}
            ),
            html.P(item["body_en"] if en else item["body"], style={"margin": "4px 0"}),
            html.Button(
                i18n.t("inbox.mark_read", lang),
                id={"type": "inbox-read", "id": item["id"]},
                className="inbox-mark-read",
            )
            if unread
            else html.Span(i18n.t("inbox.read", lang), style={"color": "#666", "fontSize": "12px"}),
        ],
        className="inbox-item inbox-unread" if unread else "inbox-item",
        style={
            "borderLeft": f"4px solid {'#0b4f8a' if unread else '#ccc'}",
            "padding": "6px 10px",
            "margin": "6px 0",
        },
    )


def items_view(lang: str) -> html.Div:
    found = data_notifications.items(database(), current_actor())
    if not found:
        return message(i18n.t("inbox.empty", lang))
    return html.Div([_item(i, lang) for i in found])


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    count = data_notifications.unread(database(), actor)
    return html.Div(
        [
            title(i18n.t("inbox.title", lang), i18n.t("inbox.unread", lang).format(n=count)),
            section(i18n.t("inbox.title", lang), html.Div(items_view(lang), id="inbox-items")),
            inbox_settings.block(actor, lang),
        ]
    )


def register(app: Dash) -> None:
    inbox_settings.register(app)

    @app.callback(
        Output("inbox-items", "children"),
        Output("inbox-count", "children", allow_duplicate=True),
        Input({"type": "inbox-read", "id": ALL}, "n_clicks"),
        State("url", "pathname"),
        prevent_initial_call=True,
    )
    def _mark(clicks, _path):  # noqa: ANN001, ANN202
        actor, lang = current_actor(), current_lang()
        if not ctx.triggered_id or not any(clicks):
            return items_view(lang), str(data_notifications.unread(database(), actor))
        data_notifications.mark_read(database(), actor, ctx.triggered_id["id"])
        return items_view(lang), str(data_notifications.unread(database(), actor))
