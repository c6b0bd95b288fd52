"""Review queue (provincial QC admins, specialty QC staff): what each hospital sent (the values of
its latest write, before → after, and the correction reason), then approve, approve several at
once, or return with a comment. Each decision names the hospital and quarter of a queue row; the
service re-checks the row is in the session actor's scope, so an edited request reaches nothing else."""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from dash_app import data_submission, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import CELL, TABLE, hospital_href, message, section, title
from services.core.quarter import Quarter

CHANGE = {"fontSize": "12px", "margin": "0", "paddingLeft": "16px"}


def _key(item: dict) -> str:
    return f"{item['hospital_id']}|{item['quarter']}"


def _counts(value: dict) -> str:
    before = (
        f"{value['previous_numerator']}/{value['previous_denominator']} → "
        if value["previous_numerator"] is not None
        else ""
    )
    return f"{value['indicator']}：{before}{value['numerator']}/{value['denominator']}"


def what_changed(latest: dict | None, lang: str) -> html.Details | str:
    """'更正 2 项 / 共 60 项' with the changed values folded out; a first submission says so."""
    if not latest:
        return ""
    if latest["correction"]:
        summary = i18n.t("review.corrected", lang).format(n=latest["written"], total=latest["values"])
    else:
        summary = i18n.t("review.first", lang).format(n=latest["written"], total=latest["values"])
    items = [html.Li(_counts(v)) for v in latest["changes"]]
    return html.Details([html.Summary(summary), html.Ul(items, style=CHANGE)])


def _row(item: dict, lang: str) -> html.Tr:
    key, latest = _key(item), item.get("latest") or {}
    name = item["hospital_name"]
    return html.Tr(
        [
            html.Td(
                dcc.Checklist(
                    id={"type": "rv-pick", "index": key},
                    options=[{"label": html.Span(name, className="qcp-sr-only"), "value": key}],
                    value=[],
                ),
                style=CELL,
            ),
            html.Td(dcc.Link(name, href=hospital_href(item["hospital_id"], item["quarter"])), style=CELL),
            html.Td(item["quarter"], style=CELL),
            html.Td(item["version"], style=CELL),
            html.Td("✓" if item["late"] else "", style=CELL),
            html.Td(what_changed(latest, lang), style=CELL),
            html.Td(latest.get("reason", ""), style=CELL),
            html.Td(
                dcc.Input(
                    id={"type": "rv-comment", "index": key},
                    placeholder=i18n.t("common.comment", lang),
                    style={"width": "180px"},
                ),
                style=CELL,
            ),
            html.Td(
                [
                    html.Button(i18n.t("common.approve", lang), id={"type": "rv-approve", "index": key}),
                    html.Button(i18n.t("common.return", lang), id={"type": "rv-return", "index": key}),
                ],
                style=CELL,
            ),
        ],
        id=f"rv-row-{item['hospital_id']}-{item['quarter']}",
    )


def queue_table(items: list[dict], lang: str) -> html.Div:
    count = html.Div(i18n.t("review.count", lang).format(n=len(items)), id="rv-count")
    bulk = html.Button(i18n.t("review.approve_picked", lang), id="rv-approve-picked", disabled=not items)
    if not items:
        return html.Div([count, message(i18n.t("review.empty", lang)), bulk])
    head = html.Tr(
        [
            html.Th(h, style=CELL)
            for h in (
                i18n.t("review.pick", lang),
                i18n.t("common.hospital", lang),
                i18n.t("common.quarter", lang),
                "v",
                i18n.t("status.late", lang),
                i18n.t("review.changed", lang),
                i18n.t("review.reason", lang),
                i18n.t("common.comment", lang),
                "",
            )
        ]
    )
    table = html.Table(
        [html.Thead(head), html.Tbody([_row(item, lang) for item in items])], style=TABLE, id="rv-table"
    )
    return html.Div([count, table, bulk])


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    items = data_submission.queue(database(), actor)
    return html.Div(
        [
            title(i18n.t("review.title", lang), ""),
            html.Div(id="rv-result"),
            section(i18n.t("review.title", lang), html.Div(queue_table(items, lang), id="rv-queue")),
        ]
    )


def decide(keys: list[str], approve: bool, comments: dict[str, str]) -> tuple:
    """Decide each row in turn (each in its own unit of work): one refusal stops nothing else, and
    the answer names every hospital with what happened to it."""
    actor, lang = current_actor(), current_lang()
    names = {_key(i): i["hospital_name"] for i in data_submission.queue(database(), actor)}
    notes, failed = [], False
    for key in keys:
        hospital_id, _, quarter = key.partition("|")
        outcome = data_submission.decide(
            database(),
            actor,
            hospital_id=int(hospital_id),
            quarter=Quarter.parse(quarter),
            approve=approve,
            comment=comments.get(key) or "",
        )
        who = f"{names.get(key, hospital_id)} {quarter}"
        if "ok" in outcome:
            notes.append(html.Li(f"✓ {who}：{i18n.t('status.' + outcome['ok']['status'], lang)}"))
        else:
            failed = True
            notes.append(html.Li(f"✗ {who}：{i18n.pair(outcome['detail'], lang)}"))
    note = html.Ul(notes, id="rv-ok" if not failed else "rv-failed", role="alert" if failed else "status")
    return note, queue_table(data_submission.queue(database(), actor), lang)


def register(app: Dash) -> None:
    @app.callback(
        Output("rv-result", "children"),
        Output("rv-queue", "children"),
        Input({"type": "rv-approve", "index": ALL}, "n_clicks"),
        Input({"type": "rv-return", "index": ALL}, "n_clicks"),
        Input("rv-approve-picked", "n_clicks"),
        State({"type": "rv-comment", "index": ALL}, "value"),
        State({"type": "rv-comment", "index": ALL}, "id"),
        State({"type": "rv-pick", "index": ALL}, "value"),
        prevent_initial_call=True,
    )
    def _decide(approvals, returns, picked_clicks, comments, ids, picks):  # noqa: ANN001, ANN202
        trigger = ctx.triggered_id
        if not trigger or not ctx.triggered[0]["value"]:  # a re-rendered queue, not a click
            return no_update, no_update
        by_key = {i["index"]: c for c, i in zip(comments, ids, strict=True)}
        if trigger == "rv-approve-picked":
            keys = [k for chosen in picks for k in chosen or []]
            if not keys:
                return html.Div(i18n.t("review.none_picked", current_lang()), role="alert"), no_update
            return decide(keys, True, by_key)
        return decide([trigger["index"]], trigger["type"] == "rv-approve", by_key)
