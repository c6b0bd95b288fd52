"""The frame around every page: header, navigation for the session's role, language switch, router.

The layout is a function: Dash calls it per page load inside the authenticated request, so the
navigation is built from the server-side session's actor.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

from dash import Dash, Input, Output, dcc, html
from flask import g

from dash_app import i18n, pages
from dash_app.app import PREFIX
from dash_app.auth import current_actor, current_lang

HEADER_STYLE = {
    "display": "flex",
    "alignItems": "center",
    "gap": "14px",
    "padding": "8px 16px",
    "background": "#0b4f8a",
    "color": "white",
    "flexWrap": "wrap",
}
LINK_STYLE = {"color": "white", "textDecoration": "none", "fontSize": "14px"}


def _nav(actor, lang: str) -> list:  # noqa: ANN001
    return [
        dcc.Link(i18n.t(key, lang), href=f"{PREFIX}{path}", style=LINK_STYLE, id=f"nav-{key.split('.')[-1]}")
        for key, path in pages.nav_items(actor)
    ]


def _unread(actor) -> int:  # noqa: ANN001
    from sqlalchemy.exc import SQLAlchemyError

    from dash_app.app import database
    from dash_app.data_notifications import unread
    from services.core.errors import DomainError

    try:
        return unread(database(), actor)
    except (DomainError, SQLAlchemyError):  # the header never breaks a page; the inbox page says why
        return 0


def _inbox_link(actor, lang: str) -> dcc.Link:  # noqa: ANN001
    return dcc.Link(
        [
            i18n.t("nav.inbox", lang),
            " ",
            html.Span(str(_unread(actor)), id="inbox-count", className="qcp-badge"),
        ],
        href=f"{PREFIX}/inbox",
        id="inbox-link",
        title=i18n.t("inbox.unread", lang).format(n=_unread(actor)),
        style={**LINK_STYLE, "fontWeight": "bold"},
    )


def layout() -> html.Div:
    if g.get("qcp_session") is None:  # Dash validates the layout once on its first request, even /login
        return html.Div(
            [dcc.Location(id="url", refresh=False), html.Div(id="callback-notice"), html.Main(id="page")]
        )
    actor, lang = current_actor(), current_lang()
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            html.Header(
                [
                    html.Strong(i18n.t("app.title", lang), style={"fontSize": "16px"}),
                    *_nav(actor, lang),
                    html.Span(style={"flex": "1"}),
                    _inbox_link(actor, lang),
                    html.Span(actor.name, id="user-name", style={"fontSize": "13px"}),
                    html.A(
                        i18n.t("nav.lang", lang),
                        id="lang-link",
                        href=f"{PREFIX}/lang/{i18n.other(lang)}",
                        style=LINK_STYLE,
                    ),
                    html.A(
                        i18n.t("nav.logout", lang),
                        id="logout-link",
                        href=f"{PREFIX}/logout",
                        style=LINK_STYLE,
                    ),
                ],
                style=HEADER_STYLE,
            ),
            # A callback refused or failed (dash_app/callback_errors.py); cleared on every page change.
            html.Div(id="callback-notice", role="alert", className="qcp-error-notice"),
            dcc.Loading(
                html.Main(
                    id="page", style={"padding": "12px 16px", "maxWidth": "1340px", "boxSizing": "border-box"}
                ),
                delay_show=300,
            ),
        ],
        style={"fontFamily": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "fontSize": "14px"},
    )


def route(pathname: str | None, search: str | None) -> html.Div:
    path = (pathname or "/").removeprefix(PREFIX) or "/"
    params = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
    return pages.render(path, params, current_actor(), current_lang())


def register(app: Dash) -> None:
    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def _route(pathname, search):  # noqa: ANN001, ANN202
        return route(pathname, search)

    @app.callback(Output("callback-notice", "children"), Input("url", "pathname"), Input("url", "search"))
    def _clear_notice(_pathname, _search):  # noqa: ANN001, ANN202
        return None  # a refusal belongs to the page it was given on

    @app.callback(Output("lang-link", "href"), Input("url", "pathname"), Input("url", "search"))
    def _lang_href(pathname, search):  # noqa: ANN001, ANN202
        here = quote(f"{pathname or PREFIX + '/'}{search or ''}", safe="/")
        return f"{PREFIX}/lang/{i18n.other(current_lang())}?next={here}"

    @app.callback(Output("inbox-count", "children"), Input("url", "pathname"))
    def _unread_count(_pathname):  # noqa: ANN001, ANN202
        return str(_unread(current_actor()))

    pages.register_callbacks(app)
