"""Submission windows, networks, hospitals and bulk uploads (provincial QC admins; national admins name the
province); network forms live in ``admin_networks``, the hospital registry in ``admin_hospitals``."""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html

from dash_app import data, data_notifications, data_submission, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages import admin_bulk, admin_hospitals, admin_jobs, admin_networks
from dash_app.pages.common import GRID2, quarter_param, section, table, title
from services.core.quarter import Quarter
from services.identity.permissions import can


def window_view(window: dict, lang: str) -> html.Div:
    rows = [
        {"what": i18n.t(f"admin.{k}", lang), "at": window[f"{k}_at"][:16].replace("T", " ")}
        for k in ("opens", "due", "locks")
    ]
    note = "默认窗口 / default window" if window["is_default"] else "已设置 / set by the QC center"
    return html.Div(
        [table(rows, [("what", ""), ("at", "")], id="window-table"), html.Div(i18n.pair(note, lang))]
    )


def window_form(window: dict, lang: str) -> html.Div:
    def field(key: str) -> html.Label:
        return html.Label(
            [
                i18n.t(f"admin.{key}", lang),
                dcc.Input(
                    id=f"win-{key}",
                    value=window[f"{key}_at"][:10],
                    style={"width": "120px", "marginLeft": "4px"},
                ),
            ]
        )

    return html.Div(
        [
            field("opens"),
            field("due"),
            field("locks"),
            html.Button(i18n.t("common.save", lang), id="win-save"),
        ],
        style={"display": "flex", "gap": "10px", "alignItems": "center", "flexWrap": "wrap"},
    )


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    db = database()
    quarter = quarter_param(params, data.default_quarter(db, actor))
    province = actor.province or params.get("province") or "330000"
    window = data_submission.window(db, actor, quarter, province)
    networks = admin_networks.blocks(actor, lang, actor.province or params.get("province"))
    return html.Div(
        [
            title(i18n.t("admin.title", lang), f"{quarter} · {province}"),
            dcc.Store(id="win-target", data={"quarter": str(quarter), "province": province}),
            html.Div(
                [
                    section(
                        i18n.t("admin.windows", lang),
                        html.Div(window_view(window, lang), id="win-current"),
                        window_form(window, lang),
                        html.Div(id="win-result"),
                    ),
                    networks[0],
                ],
                style=GRID2,
            ),
            networks[1],
            admin_hospitals.block(lang, province) if can(actor, "registry.hospital.write") else None,
            admin_bulk.block(lang, quarter) if can(actor, "submission.bulk_upload") else None,
            admin_jobs.block(lang) if data_notifications.is_jobs_admin(actor) else None,
        ]
    )


def save_window(target: dict, opens: str, due: str, locks: str) -> tuple:
    actor, lang = current_actor(), current_lang()
    quarter = Quarter.parse(target["quarter"])
    province = None if actor.province else target.get("province")  # provincial admins: always their own
    outcome = data_submission.set_window(
        database(), actor, quarter=quarter, opens_at=opens, due_at=due, locks_at=locks, province=province
    )
    if "ok" in outcome:
        return html.Div("✓", id="win-ok"), window_view(outcome["ok"], lang)
    return html.Div(i18n.pair(outcome["detail"], lang), role="alert", className="qcp-error"), window_view(
        data_submission.window(database(), actor, quarter, province), lang
    )


def register(app: Dash) -> None:
    admin_networks.register(app)
    admin_hospitals.register(app)
    admin_bulk.register(app)
    admin_jobs.register(app)

    @app.callback(
        Output("win-result", "children"),
        Output("win-current", "children"),
        Input("win-save", "n_clicks"),
        State("win-target", "data"),
        State("win-opens", "value"),
        State("win-due", "value"),
        State("win-locks", "value"),
        prevent_initial_call=True,
    )
    def _save(_, target, opens, due, locks):  # noqa: ANN001, ANN202
        return save_window(target, opens or "", due or "", locks or "")
