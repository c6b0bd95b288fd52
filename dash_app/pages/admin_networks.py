"""Networks on the admin page: create a network, add a hospital over dated membership, end one.

Each form calls ``dash_app.data_registry`` with the session's actor; the services decide what the
actor may change, and their problems (overlapping membership, end before start, another province's
hospital …) are shown next to the form. Memberships are never deleted: ending one sets its end date.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dash_app import data_registry, data_submission, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import CARD, scroll, section, table

KINDS = {
    "medical_alliance": ("医联体", "medical alliance"),
    "sentinel": ("哨点医院", "sentinel"),
    "specialty": ("专科联盟", "specialty"),
    "custom": ("自定义", "custom"),
}
ROW = {"display": "flex", "gap": "8px", "alignItems": "center", "flexWrap": "wrap", "margin": "6px 0"}


def _input(id: str, placeholder: str, width: int = 120) -> dcc.Input:  # noqa: A002
    return dcc.Input(id=id, placeholder=placeholder, debounce=False, style={"width": f"{width}px"})


def problems_box(outcome: dict, lang: str, id: str) -> html.Div:  # noqa: A002
    """A service's answer next to its form: ✓, or the message and each field's problem."""
    if "ok" in outcome:
        return html.Div("✓ " + i18n.t("common.saved", lang), id=f"{id}-ok", style={"color": "#1a7f37"})
    items = [html.Li(f"{p.get('field', '—')}: {p.get('problem', '')}") for p in outcome.get("problems", [])]
    return html.Div(
        [html.Div(i18n.pair(outcome["detail"], lang)), html.Ul(items) if items else None],
        role="alert",
        className="qcp-error",
        id=f"{id}-error",
        style={**CARD, "borderColor": "#e0a0a0", "background": "#fff4f4", "margin": "6px 0"},
    )


def network_table(lang: str) -> html.Table:
    columns = [
        ("id", "ID"),
        ("name", i18n.t("common.network", lang)),
        ("kind", ""),
        ("province_code", i18n.t("common.province", lang)),
        ("members", i18n.t("admin.members", lang)),
    ]
    rows = [
        {**n, "kind": i18n.pick(*KINDS.get(n["kind"], (str(n["kind"]), str(n["kind"]))), lang)}
        for n in data_submission.networks(database(), current_actor())
    ]
    return table(rows, columns, id="network-table")


def create_form(actor, lang: str) -> html.Div:  # noqa: ANN001
    centers = data_registry.qc_center_options(database(), actor)
    kinds = [{"value": k, "label": i18n.pick(zh, en, lang)} for k, (zh, en) in KINDS.items()]
    return html.Div(
        [
            dcc.Dropdown(
                id="net-center",
                options=centers,
                value=centers[0]["value"] if centers else None,
                placeholder=i18n.t("admin.center", lang),
                style={"width": "260px"},
            ),
            dcc.Dropdown(
                id="net-kind",
                options=kinds,
                value="medical_alliance",
                clearable=False,
                style={"width": "150px"},
            ),
            _input("net-name", i18n.t("admin.network_name", lang), 200),
            html.Button(i18n.t("admin.create_network", lang), id="net-create"),
        ],
        style=ROW,
    )


def member_rows(network_id: int | None, lang: str) -> tuple[html.Div, list[dict]]:
    """The network's memberships as a table, and as options for the end-membership form."""
    if not network_id:
        return html.Div(), []
    rows = data_registry.memberships(database(), current_actor(), int(network_id))
    for r in rows:
        r["valid_to"] = r["valid_to"] or "—"
    columns = [
        ("id", "ID"),
        ("hospital_name", i18n.t("common.hospital", lang)),
        ("valid_from", i18n.t("admin.valid_from", lang)),
        ("valid_to", i18n.t("admin.valid_to", lang)),
    ]
    options = [
        {"value": r["id"], "label": f"#{r['id']} {r['hospital_name']} [{r['valid_from']}, {r['valid_to']})"}
        for r in rows
    ]
    return scroll(table(rows, columns, id="mem-table"), 260), options


def member_forms(actor, lang: str, province: str | None) -> html.Div:  # noqa: ANN001
    nets = data_registry.network_options(database(), actor)
    hospitals = data_registry.hospital_choices(database(), actor, province)
    return html.Div(
        [
            dcc.Dropdown(
                id="mem-network",
                options=nets,
                value=nets[0]["value"] if nets else None,
                clearable=False,
                placeholder=i18n.t("common.network", lang),
                style={"width": "320px"},
            ),
            html.Div(id="mem-list"),
            html.Div(
                [
                    dcc.Dropdown(
                        id="mem-hospital",
                        options=hospitals,
                        placeholder=i18n.t("common.hospital", lang),
                        style={"width": "240px"},
                    ),
                    _input("mem-from", i18n.t("admin.valid_from", lang) + " YYYY-MM-DD"),
                    _input("mem-to", i18n.t("admin.valid_to", lang) + " " + i18n.t("admin.optional", lang)),
                    html.Button(i18n.t("admin.add_member", lang), id="mem-add"),
                ],
                style=ROW,
            ),
            html.Div(
                [
                    dcc.Dropdown(
                        id="mem-id",
                        options=[],
                        placeholder=i18n.t("admin.membership", lang),
                        style={"width": "320px"},
                    ),
                    _input("mem-end-date", i18n.t("admin.end_date", lang) + " YYYY-MM-DD"),
                    _input("mem-end-reason", i18n.t("common.reason", lang), 180),
                    html.Button(i18n.t("admin.end_member", lang), id="mem-end"),
                ],
                style=ROW,
            ),
            html.Div(id="mem-result"),
        ]
    )


def blocks(actor, lang: str, province: str | None) -> list:  # noqa: ANN001
    return [
        section(
            i18n.t("admin.networks", lang),
            html.Div(network_table(lang), id="net-list"),
            create_form(actor, lang),
            html.Div(id="net-result"),
        ),
        section(i18n.t("admin.memberships", lang), member_forms(actor, lang, province)),
    ]


def create(center: int | str | None, kind: str | None, name: str | None) -> tuple:
    actor, lang = current_actor(), current_lang()
    result = data_registry.create_network(database(), actor, qc_center_id=center, kind=kind, name=name)
    if "ok" not in result:
        return problems_box(result, lang, "net-result"), no_update, no_update
    return (
        problems_box(result, lang, "net-result"),
        network_table(lang),
        data_registry.network_options(database(), actor),
    )


def change_member(trigger: str | None, network_id: int | None, form: dict) -> tuple:
    """Add or end a membership (or just show the chosen network's); then the fresh list."""
    actor, lang, db = current_actor(), current_lang(), database()
    result = None
    if trigger == "mem-add" and network_id:
        result = data_registry.add_member(
            db,
            actor,
            network_id=int(network_id),
            hospital_id=form["hospital"],
            valid_from=form["from"],
            valid_to=form["to"],
        )
    elif trigger == "mem-end" and network_id:
        result = data_registry.end_membership(
            db,
            actor,
            network_id=int(network_id),
            membership_id=form["id"],
            valid_to=form["end"],
            reason=form["reason"],
        )
    listing, options = member_rows(network_id, lang)
    note = problems_box(result, lang, "mem-result") if result else html.Div()
    return note, listing, options


def register(app: Dash) -> None:
    @app.callback(
        Output("net-result", "children"),
        Output("net-list", "children"),
        Output("mem-network", "options"),
        Input("net-create", "n_clicks"),
        State("net-center", "value"),
        State("net-kind", "value"),
        State("net-name", "value"),
        prevent_initial_call=True,
    )
    def _create(_, center, kind, name):  # noqa: ANN001, ANN202
        return create(center, kind, name)

    @app.callback(
        Output("mem-result", "children"),
        Output("mem-list", "children"),
        Output("mem-id", "options"),
        Input("mem-network", "value"),
        Input("mem-add", "n_clicks"),
        Input("mem-end", "n_clicks"),
        State("mem-hospital", "value"),
        State("mem-from", "value"),
        State("mem-to", "value"),
        State("mem-id", "value"),
        State("mem-end-date", "value"),
        State("mem-end-reason", "value"),
    )
    def _members(network_id, _add, _end, hospital, start, end, membership, end_date, reason):  # noqa: ANN001, ANN202
        form = {
            "hospital": hospital,
            "from": start,
            "to": end,
            "id": membership,
            "end": end_date,
            "reason": reason,
        }
        return change_member(ctx.triggered_id, network_id, form)
