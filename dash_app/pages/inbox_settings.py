"""Notification settings on the inbox page: which kinds reach the user in the platform and by e-mail,
the user's (and, for admins, the organisation's shared) e-mail addresses, and — for the
organisation's admins — its webhook endpoints: register (the secret shown once), switch off/on,
rotate the secret. Every change goes through services.notification.manage as the signed-in actor."""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html

from dash_app import data_notifications, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import CELL, TABLE, attrs, section
from services.notification.messages import KIND_LABELS

CHANNELS = ("inbox", "email")
ROW = {"display": "flex", "gap": "8px", "alignItems": "center", "flexWrap": "wrap", "margin": "6px 0"}


def _kind_options(lang: str) -> list[dict[str, str]]:
    return [{"label": KIND_LABELS[k][1 if lang == "en" else 0], "value": k} for k in KIND_LABELS]


def _feedback(problem: str, done: str, lang: str) -> html.Div:
    if problem:
        return html.Div(i18n.pair(problem, lang), role="alert", className="qcp-error")
    return html.Div(done, role="status", className="qcp-ok")


def _contacts_view(contacts: list[dict[str, Any]], lang: str) -> html.Div | html.Table:
    if not contacts:
        return html.Div(i18n.t("ns.email.none", lang), style={"color": "#555"})
    rows = [
        html.Tr(
            [
                html.Td(c["email"], style=CELL),
                html.Td(i18n.t("ns.shared" if c["organisation"] else "ns.personal", lang), style=CELL),
                html.Td(
                    html.Button(
                        i18n.t("ns.remove", lang),
                        id={"type": "ns-remove-email", "id": c["id"]},
                        className="ns-remove-email",
                    ),
                    style=CELL,
                ),
            ]
        )
        for c in contacts
    ]
    return html.Table(html.Tbody(rows), style=TABLE, id="ns-emails-table")


def _webhooks_view(hooks: list[dict[str, Any]], lang: str) -> html.Div | html.Table:
    if not hooks:
        return html.Div(i18n.t("ns.webhook.none", lang), style={"color": "#555"})
    rows = [
        html.Tr(
            [
                html.Td(h["url"], style=CELL),
                html.Td(i18n.t("ns.webhook.on" if h["active"] else "ns.webhook.off", lang), style=CELL),
                html.Td(
                    [
                        html.Button(
                            i18n.t("ns.webhook.disable" if h["active"] else "ns.webhook.enable", lang),
                            id={"type": "ns-hook-switch", "id": h["id"]},
                            className="ns-hook-switch",
                        ),
                        " ",
                        html.Button(
                            i18n.t("ns.webhook.rotate", lang),
                            id={"type": "ns-hook-rotate", "id": h["id"]},
                            className="ns-hook-rotate",
                        ),
                    ],
                    style=CELL,
                ),
            ]
        )
        for h in hooks
    ]
    return html.Table(html.Tbody(rows), style=TABLE, id="ns-hooks-table")


def block(actor, lang: str) -> html.Section:  # noqa: ANN001
    state = data_notifications.settings(database(), actor)
    admin = data_notifications.is_org_admin(actor)
    prefs = state["prefs"]
    channel_lists = [
        html.Fieldset(
            [
                html.Legend(i18n.t(f"ns.channel.{channel}", lang)),
                dcc.Checklist(
                    id=f"ns-{channel}-kinds",
                    options=_kind_options(lang),
                    value=[k for k in KIND_LABELS if prefs[f"{k}:{channel}"]],
                    labelStyle={"display": "block"},
                ),
            ],
            style={"border": "1px solid #dde3ea", "padding": "4px 10px"},
        )
        for channel in CHANNELS
    ]
    webhooks = [
        html.H4(i18n.t("ns.webhooks", lang)),
        html.Div(_webhooks_view(state["webhooks"], lang), id="ns-hooks"),
        html.Div(
            [
                html.Label(i18n.t("ns.webhook.url", lang), htmlFor="ns-hook-url"),
                dcc.Input(
                    id="ns-hook-url", type="url", placeholder="https://his.example.cn/qcp-hook", size="40"
                ),
                html.Button(i18n.t("ns.webhook.add", lang), id="ns-add-hook"),
            ],
            style=ROW,
        ),
        html.Div(id="ns-hook-result", **attrs({"aria-live": "polite"})),
    ]
    return section(
        i18n.t("ns.title", lang),
        html.H4(i18n.t("ns.channels", lang)),
        html.Div(channel_lists, style={"display": "flex", "gap": "12px", "flexWrap": "wrap"}),
        html.Div(
            [
                dcc.Checklist(
                    id="ns-prefs-org",
                    options=[{"label": i18n.t("ns.prefs.org", lang), "value": "org"}] if admin else [],
                    value=[],
                ),
                html.Button(i18n.t("ns.save", lang), id="ns-save-prefs"),
                html.Div(id="ns-prefs-result"),
            ],
            style=ROW,
        ),
        html.Div(i18n.t("ns.prefs.precedence", lang), style={"color": "#555", "fontSize": "12px"}),
        html.H4(i18n.t("ns.emails", lang)),
        html.Div(_contacts_view(state["contacts"], lang), id="ns-emails"),
        html.Div(
            [
                html.Label(i18n.t("ns.email", lang), htmlFor="ns-email"),
                dcc.Input(id="ns-email", type="email", placeholder="qc@hospital.example.cn", size="32"),
                dcc.Checklist(
                    id="ns-email-org",
                    options=[{"label": i18n.t("ns.email.org", lang), "value": "org"}] if admin else [],
                    value=[],
                ),
                html.Button(i18n.t("ns.email.add", lang), id="ns-add-email"),
            ],
            style=ROW,
        ),
        html.Div(id="ns-email-result", **attrs({"aria-live": "polite"})),
        *(webhooks if admin else []),
        id="ns-section",
    )


def _clicked() -> bool:
    """A pattern-matched button really clicked (not one that merely appeared in a re-rendered list)."""
    return bool(ctx.triggered_id) and bool(ctx.triggered and ctx.triggered[0].get("value"))


def register(app: Dash) -> None:
    @app.callback(
        Output("ns-prefs-result", "children"),
        Input("ns-save-prefs", "n_clicks"),
        State("ns-inbox-kinds", "value"),
        State("ns-email-kinds", "value"),
        State("ns-prefs-org", "value"),
        prevent_initial_call=True,
    )
    def _save(_n, inbox_kinds, email_kinds, org):  # noqa: ANN001, ANN202
        lang = current_lang()
        chosen = {"inbox": set(inbox_kinds or []), "email": set(email_kinds or [])}
        choices = [(k, c, k in chosen[c]) for k in KIND_LABELS for c in CHANNELS]
        problem, _ = data_notifications.change(
            database(), current_actor(), "preferences", choices=choices, organisation="org" in (org or [])
        )
        return _feedback(problem, i18n.t("ns.saved", lang), lang)

    @app.callback(
        Output("ns-emails", "children"),
        Output("ns-email-result", "children"),
        Input("ns-add-email", "n_clicks"),
        Input({"type": "ns-remove-email", "id": ALL}, "n_clicks"),
        State("ns-email", "value"),
        State("ns-email-org", "value"),
        prevent_initial_call=True,
    )
    def _emails(_add, _removes, email, org):  # noqa: ANN001, ANN202
        actor, lang, db = current_actor(), current_lang(), database()
        if ctx.triggered_id == "ns-add-email":
            problem, _ = data_notifications.change(
                db, actor, "add_contact", email=(email or "").strip(), organisation="org" in (org or [])
            )
            done = i18n.t("ns.saved", lang)
        elif _clicked():
            problem, _ = data_notifications.change(
                db, actor, "remove_contact", contact_id=ctx.triggered_id["id"]
            )
            done = i18n.t("ns.saved", lang)
        else:
            problem, done = "", ""
        contacts = data_notifications.settings(db, actor)["contacts"]
        return _contacts_view(contacts, lang), _feedback(problem, done, lang) if (problem or done) else None

    @app.callback(
        Output("ns-hooks", "children"),
        Output("ns-hook-result", "children"),
        Input("ns-add-hook", "n_clicks"),
        Input({"type": "ns-hook-switch", "id": ALL}, "n_clicks"),
        Input({"type": "ns-hook-rotate", "id": ALL}, "n_clicks"),
        State("ns-hook-url", "value"),
        prevent_initial_call=True,
    )
    def _hooks(_add, _switches, _rotates, url):  # noqa: ANN001, ANN202
        actor, lang, db = current_actor(), current_lang(), database()
        result: Any = None
        trigger = ctx.triggered_id
        if trigger == "ns-add-hook":
            problem, created = data_notifications.change(db, actor, "add_webhook", url=(url or "").strip())
            result = _feedback(problem, "", lang) if problem else _secret(created, lang)
        elif _clicked() and trigger["type"] == "ns-hook-rotate":
            problem, created = data_notifications.change(
                db, actor, "rotate_webhook", webhook_id=trigger["id"]
            )
            result = _feedback(problem, "", lang) if problem else _secret(created, lang)
        elif _clicked():
            hooks = {h["id"]: h for h in data_notifications.settings(db, actor)["webhooks"]}
            hook = hooks.get(trigger["id"])
            problem, _ = data_notifications.change(
                db, actor, "switch_webhook", webhook_id=trigger["id"], active=not (hook and hook["active"])
            )
            result = _feedback(problem, i18n.t("ns.saved", lang), lang)
        return _webhooks_view(data_notifications.settings(db, actor)["webhooks"], lang), result


def _secret(created: dict[str, Any], lang: str) -> html.Div:
    return html.Div(
        [html.Div(i18n.t("ns.webhook.secret", lang)), html.Code(created["secret"], id="ns-hook-secret")],
        role="status",
        className="qcp-ok",
        style={"background": "#fffbe6", "padding": "6px", "wordBreak": "break-all"},
    )
