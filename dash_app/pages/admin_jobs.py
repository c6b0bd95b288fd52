"""The national admin's view of the job queue: recent jobs and dead letters, each retryable."""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html

from dash_app import data_notifications, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import scroll, section, table


def tables(lang: str) -> html.Div:
    actor, db = current_actor(), database()
    jobs = data_notifications.jobs(db, actor)
    dead = data_notifications.dead_letters(db, actor)
    return html.Div(
        [
            html.H4(i18n.t("jobs.recent", lang)),
            scroll(
                table(
                    jobs,
                    [
                        ("id", "#"),
                        ("task_name", "task"),
                        ("status", i18n.t("common.status", lang)),
                        ("attempts", "n"),
                    ],
                    id="jobs-table",
                ),
                height=260,
            ),
            html.H4(i18n.t("jobs.dead", lang)),
            table(
                dead,
                [
                    ("id", "#"),
                    ("channel", "channel"),
                    ("recipient", "→"),
                    ("attempts", "n"),
                    ("last_error", "error"),
                ],
                id="dead-letters-table",
            ),
        ]
    )


def block(lang: str) -> html.Section:
    def retry_form(kind: str) -> html.Label:
        return html.Label(
            [
                f"{i18n.t('jobs.retry', lang)} {kind} #",
                dcc.Input(id=f"retry-{kind}-id", type="number", style={"width": "90px", "margin": "0 4px"}),
                html.Button(i18n.t("jobs.retry", lang), id=f"retry-{kind}"),
            ]
        )

    return section(
        i18n.t("jobs.title", lang),
        html.Div(tables(lang), id="jobs-tables"),
        html.Div([retry_form("job"), retry_form("delivery")], style={"display": "flex", "gap": "16px"}),
        html.Div(id="retry-result", role="status"),
        id="jobs-section",
    )


def register(app: Dash) -> None:
    @app.callback(
        Output("retry-result", "children"),
        Output("jobs-tables", "children"),
        Input("retry-job", "n_clicks"),
        Input("retry-delivery", "n_clicks"),
        State("retry-job-id", "value"),
        State("retry-delivery-id", "value"),
        prevent_initial_call=True,
    )
    def _retry(_job_clicks, _delivery_clicks, job_id, delivery_id):  # noqa: ANN001, ANN202
        from dash import ctx

        actor, lang = current_actor(), current_lang()
        which = ctx.triggered_id
        problem = data_notifications.retry(
            database(),
            actor,
            job_id=int(job_id) if which == "retry-job" and job_id else None,
            delivery_id=int(delivery_id) if which == "retry-delivery" and delivery_id else None,
        )
        shown = (
            html.Div(i18n.pair(problem, lang), className="qcp-error")
            if problem
            else html.Div("✓", id="retry-ok")
        )
        return shown, tables(lang)
