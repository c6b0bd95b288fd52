"""Submission (hospital submitters): enter the quarter's values or upload the CSV / XLSX template;
validation problems appear inline next to the indicator (or with the file's row). The hospital is
always the session's own: nothing on the page names it."""

from __future__ import annotations

import base64
import re
from datetime import datetime

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from dash_app import data, data_submission, i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import (
    CARD,
    CELL,
    TABLE,
    quarter_dropdown,
    quarter_param,
    quarter_search,
    scroll,
    section,
    table,
    title,
)
from services.core.quarter import CHINA, Quarter

ERROR = {"color": "#b2182b", "fontSize": "12px"}


def _input(kind: str, code: str, value: int | str | None, label: str) -> html.Label:
    # Text, not type=number: the browser hands Dash no value for −5 or 1.5 in a number box, so
    # the page would drop what the user typed without a word. The page checks what was typed.
    # The label (read by screen readers, not shown) names the box: "NIT-2023-I.1 分子".
    return html.Label(
        [
            html.Span(f"{code} {label}", className="qcp-sr-only"),
            dcc.Input(
                id={"type": f"sub-{kind}", "index": code},
                type="text",
                inputMode="numeric",
                value=value,
                style={"width": "90px"},
            ),
        ]
    )


def _value_row(r: dict, names: dict[str, str], lang: str) -> html.Tr:
    return html.Tr(
        [
            html.Td(r["indicator"], style=CELL),
            html.Td(names.get(r["indicator"], ""), style=CELL),
            html.Td(
                _input("num", r["indicator"], r["numerator"], i18n.t("common.numerator", lang)), style=CELL
            ),
            html.Td(
                _input("den", r["indicator"], r["denominator"], i18n.t("common.denominator", lang)),
                style=CELL,
            ),
            html.Td(id={"type": "sub-problem", "index": r["indicator"]}, style={**CELL, **ERROR}),
        ]
    )


def _head(lang: str) -> html.Thead:
    headings = (
        i18n.t("common.indicator", lang),
        i18n.pick("名称", "name", lang),
        i18n.t("common.numerator", lang),
        i18n.t("common.denominator", lang),
        i18n.pick("问题", "problem", lang),
    )
    return html.Thead(html.Tr([html.Th(h, style=CELL) for h in headings]))


def entry_table(rows: list[dict], names: dict[str, str], lang: str) -> html.Div:
    """The indicators the hospital must report, each with its two boxes; below, folded, the
    specialty indicators it may report (opened when one has a value on record), and the indicators
    marked 不适用 with the QC center's reason and no boxes."""
    required = [r for r in rows if r["status"] == "required"]
    optional = [r for r in rows if r["status"] == "optional"]
    skipped = [r for r in rows if r["status"] == "not_applicable"]
    parts: list = [
        html.Table(
            [_head(lang), html.Tbody([_value_row(r, names, lang) for r in required])],
            style=TABLE,
            id="sub-table",
        )
    ]
    if optional:
        on_record = any(r["numerator"] is not None for r in optional)
        parts.append(
            html.Details(
                [
                    html.Summary(i18n.t("submit.optional", lang).format(n=len(optional))),
                    html.Table(
                        [_head(lang), html.Tbody([_value_row(r, names, lang) for r in optional])],
                        style=TABLE,
                        id="sub-optional-table",
                    ),
                ],
                open=on_record,
                id="sub-optional",
            )
        )
    if skipped:
        parts.append(
            html.Details(
                [
                    html.Summary(i18n.t("submit.not_applicable", lang).format(n=len(skipped))),
                    html.Ul(
                        [
                            html.Li(
                                f"{r['indicator']} {names.get(r['indicator'], '')} · "
                                f"{i18n.t('status.not_applicable', lang)}{'：' if lang != 'en' else ': '}"
                                f"{i18n.pair(r['reason'] or '', lang)}"
                            )
                            for r in skipped
                        ]
                    ),
                ],
                open=True,
                id="sub-not-applicable",
            )
        )
    return html.Div(parts)


def on_record(rows: list[dict]) -> dict[str, list[int]]:
    """Indicator → [numerator, denominator] of the version on record (the page's Store)."""
    return {r["indicator"]: [r["numerator"], r["denominator"]] for r in rows if r["numerator"] is not None}


def changes(recorded: dict[str, list[int]], values: list[dict]) -> list[dict]:
    """What the form would change in the version on record: changed and added values (a value
    left out of a correction stays as it was: the service keeps it)."""
    out = []
    for v in values:
        before = recorded.get(v["indicator"])
        after = [v["numerator"], v["denominator"]]
        if before == after:
            continue
        out.append(
            {
                "indicator": v["indicator"],
                "before": "—" if before is None else f"{before[0]}/{before[1]}",
                "after": f"{after[0]}/{after[1]}",
            }
        )
    return out


def changes_view(found: list[dict], version: int | None, lang: str) -> html.Div | None:
    """Shown after 仅校验 when a version is on record: the correction a 提交 would make."""
    if not version:
        return None
    heading = i18n.t("submit.changes", lang).format(version=version, n=len(found))
    if not found:
        return html.Div(i18n.t("submit.no_changes", lang).format(version=version), id="sub-changes")
    columns = [
        ("indicator", i18n.t("common.indicator", lang)),
        ("before", i18n.pick(f"v{version} 已报（分子/分母）", f"v{version} on record (num/den)", lang)),
        ("after", i18n.pick("本次（分子/分母）", "this time (num/den)", lang)),
    ]
    return html.Div([html.Strong(heading), table(found, columns, id="sub-changes-table")], id="sub-changes")


def quarter_choices(db, actor, quarter: Quarter) -> list[str]:  # noqa: ANN001
    """Quarters with data on record, the quarter being reported now and the one shown; newest first."""
    now = str(Quarter.containing(datetime.now(CHINA).date()).previous())
    return sorted({*data.quarters(db, actor), now, str(quarter)}, reverse=True)


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    db = database()
    quarter = quarter_param(params, data.default_quarter(db, actor))
    rows = data_submission.form_rows(db, actor, actor.hospital_id, quarter)
    status = data.submission_status(db, actor, actor.hospital_id, quarter)
    names = {
        o["value"]: (o["label"] if lang == "zh" else o["label_en"]).split(" ", 1)[-1]
        for o in data.indicator_options(db, actor, quarter.year)
    }
    version = status.get("version") or None
    state = (
        f"v{version} · {i18n.enum('status', status.get('status'), lang)}"
        if version
        else i18n.pick("尚未上报", "nothing submitted yet", lang)
    )
    return html.Div(
        [
            html.Div(
                [
                    title(i18n.t("submit.title", lang), f"{quarter} · {state}"),
                    html.Div(
                        [
                            html.Label(i18n.t("common.quarter", lang), htmlFor="sub-quarter-pick"),
                            quarter_dropdown(
                                "sub-quarter-pick", quarter_choices(db, actor, quarter), str(quarter)
                            ),
                        ],
                        style={"display": "flex", "gap": "6px", "alignItems": "center"},
                    ),
                ],
                style={"display": "flex", "justifyContent": "space-between", "alignItems": "center"},
            ),
            html.Div(
                i18n.t("submit.locked", lang),
                id="sub-locked",
                role="note",
                style={**CARD, "background": "#fffbe6"},
            )
            if status.get("status") == "approved"
            else None,
            dcc.Store(id="sub-quarter", data=str(quarter)),
            dcc.Store(id="sub-on-record", data={"version": version, "values": on_record(rows)}),
            section(
                i18n.t("submit.entry", lang),
                scroll(entry_table(rows, names, lang), 420),
                html.Label(i18n.t("submit.reason", lang), htmlFor="sub-reason"),
                dcc.Textarea(
                    id="sub-reason",
                    placeholder=i18n.t("submit.reason_example", lang),
                    style={"width": "100%", "height": "48px"},
                ),
                html.Div(
                    [
                        html.Button(i18n.t("submit.check", lang), id="sub-check"),
                        html.Button(i18n.t("submit.send", lang), id="sub-send"),
                    ],
                    style={"display": "flex", "gap": "8px"},
                ),
            ),
            html.Div(id="sub-result"),
            section(
                i18n.t("submit.upload", lang),
                html.Div(
                    [
                        html.Button(i18n.t("submit.template_xlsx", lang), id="sub-template-xlsx"),
                        html.Button(i18n.t("submit.template_csv", lang), id="sub-template-csv"),
                        dcc.Download(id="sub-template-dl"),
                    ],
                    style={"display": "flex", "gap": "8px", "marginBottom": "8px"},
                ),
                dcc.Checklist(
                    id="sub-upload-dry",
                    options=[{"label": " " + i18n.t("submit.upload_check", lang), "value": "dry"}],
                    value=[],
                ),
                dcc.Upload(
                    id="sub-upload",
                    children=html.Div(i18n.t("submit.upload", lang)),
                    style={**CARD, "borderStyle": "dashed", "textAlign": "center", "cursor": "pointer"},
                ),
                html.Div(id="sub-upload-result"),
            ),
        ]
    )


def outcome_view(outcome: dict, lang: str, dry_run: bool) -> html.Div:
    if "ok" in outcome:
        result = outcome["ok"]
        text = (
            f"{i18n.t('submit.ok', lang) if not dry_run else '✓'} · {result['quarter']} · "
            f"{i18n.t('status.' + result['status'], lang)} · v{result['version']}"
        )
        warnings = [html.Li(i18n.pair(w["message"], lang)) for w in result.get("warnings", [])]
        return html.Div(
            [html.Div(text, id="sub-ok"), html.Ul(warnings)], style={**CARD, "borderColor": "#9c9"}
        )
    items = [
        html.Li(
            f"{p.get('indicator') or p.get('row') or p.get('field') or ''} "
            f"{i18n.pair(p.get('problem', ''), lang)} {i18n.pair(p.get('fix', ''), lang)}".strip()
        )
        for p in outcome["problems"]
    ]
    return html.Div(
        [
            html.Strong(i18n.t("submit.errors", lang)),
            html.Div(i18n.pair(outcome["detail"], lang)),
            html.Ul(items),
        ],
        role="alert",
        id="sub-errors",
        style={**CARD, "borderColor": "#e0a0a0"},
    )


def inline_problems(outcome: dict, codes: list[str], lang: str) -> list[str]:
    by_code: dict[str, list[str]] = {}
    for p in outcome.get("problems", []):
        by_code.setdefault(p.get("indicator") or "", []).append(i18n.pair(p.get("problem", ""), lang))
    return ["；".join(by_code.get(code, [])) for code in codes]


COUNT = re.compile(r"\s*\d+\s*")
COUNT_NAMES = {"numerator": ("分子", "numerator"), "denominator": ("分母", "denominator")}


def _typed_problem(code: str, field: str, typed: object) -> dict:
    zh, en = COUNT_NAMES[field]
    if typed in (None, ""):
        problem = f"填写了另一项但{zh}为空 / the {en} is empty while the other count is filled in"
    else:
        problem = f"{zh}“{typed}”不是非负整数 / the {en} {str(typed)!r} is not a non-negative whole number"
    return {"indicator": code, "field": field, "problem": problem}


def collect(ids: list[dict], numerators: list, denominators: list) -> tuple[list[dict], list[dict]]:
    """(rows to send, problems): rows whose two counts are whole numbers; a row with one count
    missing, a negative, a fraction or text is a problem named by its indicator, never dropped."""
    rows, problems = [], []
    for i, n, d in zip(ids, numerators, denominators, strict=True):
        typed = {"numerator": n, "denominator": d}
        if all(v in (None, "") or (isinstance(v, str) and not v.strip()) for v in typed.values()):
            continue  # not filled in: the service reports it if the indicator is required
        bad = [f for f, v in typed.items() if not (isinstance(v, int) or COUNT.fullmatch(str(v or "")))]
        if bad:
            problems += [_typed_problem(i["index"], f, typed[f]) for f in bad]
        else:
            rows.append({"indicator": i["index"], "numerator": int(n), "denominator": int(d)})
    return rows, problems


def register(app: Dash) -> None:
    @app.callback(
        Output("sub-result", "children"),
        Output({"type": "sub-problem", "index": ALL}, "children"),
        Input("sub-check", "n_clicks"),
        Input("sub-send", "n_clicks"),
        State({"type": "sub-num", "index": ALL}, "value"),
        State({"type": "sub-den", "index": ALL}, "value"),
        State({"type": "sub-num", "index": ALL}, "id"),
        State("sub-reason", "value"),
        State("sub-quarter", "data"),
        State("sub-on-record", "data"),
        prevent_initial_call=True,
    )
    def _submit(_check, _send, numerators, denominators, ids, reason, quarter, recorded):  # noqa: ANN001, ANN202
        actor, lang, dry_run = current_actor(), current_lang(), ctx.triggered_id == "sub-check"
        values, typed_problems = collect(ids, numerators, denominators)
        if typed_problems:  # nothing is sent while a typed count is not a count
            outcome = {
                "detail": f"{len(typed_problems)} 处填写有误，未保存任何数据 / {len(typed_problems)} "
                "entries are not counts; nothing was saved",
                "problems": typed_problems,
            }
            return outcome_view(outcome, lang, dry_run), inline_problems(
                outcome, [i["index"] for i in ids], lang
            )
        outcome = data_submission.submit_values(
            database(),
            actor,
            hospital_id=actor.hospital_id,
            quarter=Quarter.parse(quarter),
            reason=reason,
            dry_run=dry_run,
            values=values,
        )
        shown = outcome_view(outcome, lang, dry_run)
        if dry_run:  # before a correction: what it would change in the version on record (even if refused)
            recorded = recorded or {}
            diff = changes_view(changes(recorded.get("values") or {}, values), recorded.get("version"), lang)
            shown = html.Div([shown, diff]) if diff else shown
        return shown, inline_problems(outcome, [i["index"] for i in ids], lang)

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input("sub-quarter-pick", "value"),
        State("sub-quarter-pick-shown", "data"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def _quarter(value, shown, search):  # noqa: ANN001, ANN202
        return quarter_search(value, shown, search)

    @app.callback(
        Output("sub-upload-result", "children"),
        Output("sub-upload", "contents"),
        Input("sub-upload", "contents"),
        State("sub-upload", "filename"),
        State("sub-reason", "value"),
        State("sub-upload-dry", "value"),
        State("sub-quarter", "data"),
        prevent_initial_call=True,
    )
    def _upload(contents, filename, reason, dry, quarter):  # noqa: ANN001, ANN202
        if not contents:
            return no_update, no_update
        actor = current_actor()
        raw = base64.b64decode(contents.split(",", 1)[-1])
        outcome = data_submission.upload(
            database(),
            actor,
            hospital_id=actor.hospital_id,
            quarter=Quarter.parse(quarter),
            content=raw,
            filename=filename or "",
            dry_run=bool(dry),
            reason=reason,
        )
        return outcome_view(outcome, current_lang(), bool(dry)), None

    # The browser fires no change event when the same file is chosen again (after a check, or after
    # writing the correction reason): empty the file input once a result is shown.
    app.clientside_callback(
        """function (result) {
            const input = document.querySelector('#sub-upload input[type=file]');
            if (input) { input.value = ''; }
            return window.dash_clientside.no_update;
        }""",
        Output("sub-upload", "className"),
        Input("sub-upload-result", "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("sub-template-dl", "data"),
        Input("sub-template-xlsx", "n_clicks"),
        Input("sub-template-csv", "n_clicks"),
        State("sub-quarter", "data"),
        prevent_initial_call=True,
    )
    def _template(_xlsx, _csv, quarter):  # noqa: ANN001, ANN202
        actor = current_actor()
        kind = "csv" if ctx.triggered_id == "sub-template-csv" else "xlsx"
        content = data_submission.template(
            database(), actor, hospital_id=actor.hospital_id, quarter=Quarter.parse(quarter), kind=kind
        )
        return dcc.send_bytes(content, f"qcp-{actor.hospital_id}-{quarter}.{kind}")
