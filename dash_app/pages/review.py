"""Review queue (provincial QC admins, specialty QC staff): approve, or return with a comment.
Each decision names the hospital and quarter of a queue row; the service re-checks the row is
in the session actor's scope, so an edited request reaches nothing else."""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from dash_app import data_submission, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import CELL, TABLE, hospital_href, message, section, title
from services.core.quarter import Quarter


def _key(item: dict) -> str:
    return f"{item['hospital_id']}|{item['quarter']}"


def queue_table(items: list[dict], lang: str) -> html.Table | html.Div:
    if not items:
        return message(i18n.t("review.empty", lang))
    head = html.Tr(
        [
            html.Th(h, style=CELL)
            for h in (
                i18n.t("common.hospital", lang),
                i18n.t("common.quarter", lang),
                "v",
                i18n.t("status.late", lang),
                i18n.t("common.comment", lang),
                "",
            )
        ]
    )
    rows = [
        html.Tr(
            [
                html.Td(
                    dcc.Link(item["hospital_name"], href=hospital_href(item["hospital_id"], item["quarter"])),
                    style=CELL,
                ),
                html.Td(item["quarter"], style=CELL),
                html.Td(item["version"], style=CELL),
                html.Td("✓" if item["late"] else "", style=CELL),
                html.Td(
                    dcc.Input(id={"type": "rv-comment", "index": _key(item)}, style={"width": "220px"}),
                    style=CELL,
                ),
                html.Td(
                    [
                        html.Button(
                            i18n.t("common.approve", lang), id={"type": "rv-approve", "index": _key(item)}
                        ),
                        html.Button(
                            i18n.t("common.return", lang), id={"type": "rv-return", "index": _key(item)}
                        ),
                    ],
                    style=CELL,
                ),
            ],
            id=f"rv-row-{item['hospital_id']}-{item['quarter']}",
        )
        for item in items
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)], style=TABLE, id="rv-table")


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    items = data_submission.queue(database(), actor)
    return html.Div(
        [
            title(i18n.t("review.title", lang), f"{len(items)}"),
            html.Div(id="rv-result"),
            section(i18n.t("review.title", lang), html.Div(queue_table(items, lang), id="rv-queue")),
        ]
    )


def decide(key: str, approve: bool, comment: str) -> tuple:
    actor, lang = current_actor(), current_lang()
    hospital_id, _, quarter = key.partition("|")
    outcome = data_submission.decide(
        database(),
        actor,
        hospital_id=int(hospital_id),
        quarter=Quarter.parse(quarter),
        approve=approve,
        comment=comment or "",
    )
    if "ok" in outcome:
        status = outcome["ok"]["status"]
        note = html.Div(f"✓ {hospital_id} {quarter}: {i18n.t('status.' + status, lang)}", id="rv-ok")
    else:
        note = html.Div(i18n.pair(outcome["detail"], lang), role="alert", className="qcp-error")
    return note, queue_table(data_submission.queue(database(), actor), lang)


def register(app: Dash) -> None:
    @app.callback(
        Output("rv-result", "children"),
        Output("rv-queue", "children"),
        Input({"type": "rv-approve", "index": ALL}, "n_clicks"),
        Input({"type": "rv-return", "index": ALL}, "n_clicks"),
        State({"type": "rv-comment", "index": ALL}, "value"),
        State({"type": "rv-comment", "index": ALL}, "id"),
        prevent_initial_call=True,
    )
    def _decide(approvals, returns, comments, ids):  # noqa: ANN001, ANN202
        trigger = ctx.triggered_id
        if not trigger or not ctx.triggered[0]["value"]:  # a re-rendered queue, not a click
            return no_update, no_update
        comment = next((c for c, i in zip(comments, ids, strict=True) if i["index"] == trigger["index"]), "")
        return decide(trigger["index"], trigger["type"] == "rv-approve", comment)
