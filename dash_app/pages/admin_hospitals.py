"""Hospitals on the admin page: register one (provincial QC admins in their province; national
admins in the province the page shows), move a hospital's 起报季度 or deactivate it (with a reason,
audited; a deactivated hospital keeps its history and still owes the quarters that ended before),
and see the most recently registered.

The form calls ``dash_app.data_registry.register_hospital`` with the session's actor; the registry
service checks the credit code (GB 32100 check character), the prefecture (inside the province)
and permissions, and every problem comes back next to the form at once. 起报季度 (reports from)
defaults to this quarter: a hospital registered today does not owe past quarters (docs/submissions.md).
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dash_app import data_registry, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.admin_networks import ROW, problems_box
from dash_app.pages.common import TABLE_ROWS, scroll, section, shown_of, table
from services.core.quarter import Quarter
from services.submission.windows import today_in_china

LEVELS = ("三级", "二级", "一级", "未定级")
GRADES = ("甲等", "乙等", "丙等", "未定等")
TYPES = ("综合", "专科", "中医", "中西医结合", "民族医", "妇幼保健")


def _choice(id: str, values: tuple[str, ...], width: int = 110) -> dcc.Dropdown:  # noqa: A002
    return dcc.Dropdown(
        id=id, options=list(values), value=values[0], clearable=False, style={"width": f"{width}px"}
    )


def _input(id: str, label: str, width: int, **kwargs) -> html.Label:  # noqa: A002
    return html.Label([label, dcc.Input(id=id, style={"width": f"{width}px", "marginLeft": "4px"}, **kwargs)])


def register_form(lang: str) -> html.Div:
    this_quarter = str(Quarter.containing(today_in_china()))
    return html.Div(
        [
            html.Div(
                [
                    _input(
                        "hosp-credit",
                        i18n.t("admin.credit_code", lang),
                        170,
                        placeholder="12330100470000013L",
                    ),
                    _input("hosp-name", i18n.t("admin.hospital_name", lang), 200),
                ],
                style=ROW,
            ),
            html.Div(
                [
                    _choice("hosp-level", LEVELS),
                    _choice("hosp-grade", GRADES),
                    _choice("hosp-type", TYPES, 130),
                    _input("hosp-prefecture", i18n.t("admin.prefecture", lang), 80, placeholder="330100"),
                    _input("hosp-beds", i18n.t("admin.beds", lang), 80, type="text", inputMode="numeric"),
                ],
                style=ROW,
            ),
            html.Div(
                [
                    _input("hosp-reports-from", i18n.t("admin.reports_from", lang), 80, value=this_quarter),
                    html.Button(i18n.t("admin.register_hospital", lang), id="hosp-register"),
                ],
                style=ROW,
            ),
            html.Div(i18n.t("admin.reports_from_hint", lang), style={"color": "#555", "fontSize": "12px"}),
        ]
    )


def change_form(province: str | None, lang: str) -> html.Div:
    choices = data_registry.hospital_choices(database(), current_actor(), province)
    return html.Div(
        [
            dcc.Dropdown(
                id="hosp-change-id",
                options=choices,
                placeholder=i18n.t("common.hospital", lang),
                style={"width": "240px"},
            ),
            _input("hosp-change-quarter", i18n.t("admin.reports_from", lang), 80, placeholder="2023Q1"),
            _input("hosp-change-reason", i18n.t("common.reason", lang), 200),
            html.Button(i18n.t("admin.change_reports_from", lang), id="hosp-change"),
            html.Button(i18n.t("admin.deactivate", lang), id="hosp-deactivate"),
        ],
        style=ROW,
    )


def hospital_table(province: str | None, lang: str) -> html.Div:
    rows, total = data_registry.newest_hospitals(database(), current_actor(), province, TABLE_ROWS)
    shown = [
        {
            **r,
            "kind": f"{r['level']}{r['grade']} · {r['type']}",
            "status": i18n.t("admin.active" if r["active"] else "admin.inactive", lang),
        }
        for r in rows
    ]
    columns = [
        ("id", "ID"),
        ("name", i18n.t("common.hospital", lang)),
        ("credit_code", i18n.t("admin.credit_code", lang)),
        ("kind", ""),
        ("prefecture_name", i18n.t("admin.prefecture", lang)),
        ("reports_from", i18n.t("admin.reports_from", lang)),
        ("status", ""),
    ]
    return html.Div(
        [
            html.Div(i18n.t("admin.newest", lang), style={"color": "#555", "fontSize": "12px"}),
            scroll(table(shown, columns, id="hospital-table"), 300),
            shown_of(total, len(shown), lang, id="hospital-table-note"),
        ]
    )


def block(lang: str, province: str | None) -> html.Section:
    return section(
        i18n.t("admin.hospitals", lang),
        register_form(lang),
        html.Div(id="hosp-result"),
        change_form(province, lang),
        html.Div(id="hosp-change-result"),
        html.Div(hospital_table(province, lang), id="hosp-list"),
        dcc.Store(id="hosp-province", data=province),
    )


def register_hospital(province: str | None, form: dict) -> tuple:
    actor, lang = current_actor(), current_lang()
    outcome = data_registry.register_hospital(
        database(), actor, province=None if actor.province else province, form=form
    )
    listing = hospital_table(province, lang) if "ok" in outcome else no_update
    return problems_box(outcome, lang, "hosp-result"), listing


def change_hospital(
    trigger: str | None,
    province: str | None,
    hospital_id: int | str | None,
    quarter: str | None,
    reason: str | None,
) -> tuple:
    """Move the chosen hospital's 起报季度, or deactivate it; both need the reason."""
    actor, lang = current_actor(), current_lang()
    if trigger == "hosp-deactivate":
        outcome = data_registry.deactivate_hospital(database(), actor, hospital_id=hospital_id, reason=reason)
    else:
        outcome = data_registry.change_reports_from(
            database(), actor, hospital_id=hospital_id, reports_from=quarter, reason=reason
        )
    listing = hospital_table(province, lang) if "ok" in outcome else no_update
    return problems_box(outcome, lang, "hosp-change-result"), listing


def register(app: Dash) -> None:
    @app.callback(
        Output("hosp-result", "children"),
        Output("hosp-list", "children"),
        Input("hosp-register", "n_clicks"),
        State("hosp-province", "data"),
        State("hosp-credit", "value"),
        State("hosp-name", "value"),
        State("hosp-level", "value"),
        State("hosp-grade", "value"),
        State("hosp-type", "value"),
        State("hosp-prefecture", "value"),
        State("hosp-beds", "value"),
        State("hosp-reports-from", "value"),
        prevent_initial_call=True,
    )
    def _register(_, province, credit, name, level, grade, kind, prefecture, beds, reports_from):  # noqa: ANN001, ANN202
        return register_hospital(
            province,
            {
                "credit_code": credit,
                "name": name,
                "level": level,
                "grade": grade,
                "type": kind,
                "prefecture_code": prefecture,
                "beds": beds,
                "reports_from": reports_from,
            },
        )

    @app.callback(
        Output("hosp-change-result", "children"),
        Output("hosp-list", "children", allow_duplicate=True),
        Input("hosp-change", "n_clicks"),
        Input("hosp-deactivate", "n_clicks"),
        State("hosp-province", "data"),
        State("hosp-change-id", "value"),
        State("hosp-change-quarter", "value"),
        State("hosp-change-reason", "value"),
        prevent_initial_call=True,
    )
    def _change(_change, _deactivate, province, hospital_id, quarter, reason):  # noqa: ANN001, ANN202
        return change_hospital(ctx.triggered_id, province, hospital_id, quarter, reason)
