"""Bulk upload on the admin page: a provincial QC admin sends one file for many hospitals and
watches the job (progress bar, status, every problem by row, hospital and indicator).

The file goes through the same service as ``POST /api/v1/bulk-uploads``: a job row, a background
thread, polled here every half second. The job id lives in a ``dcc.Store`` the browser could edit;
reading it goes through ``bulk.get_job``, which only answers jobs of the signed-in admin's province.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from dash_app import i18n
from dash_app.app import database
from dash_app.auth import current_actor, current_lang
from dash_app.pages.common import attrs, section, table
from services.core.errors import DomainError
from services.core.quarter import Quarter
from services.submission import bulk
from services.submission.validation import parse_quarter

STATUS = {
    "queued": "排队中 / queued",
    "running": "处理中 / running",
    "succeeded": "完成 / done",
    "refused": "已拒绝，未保存任何数据 / refused: nothing was stored",
    "failed": "失败 / failed",
}
PHASE = {
    "queued": "等待 / waiting",
    "reading": "读取文件 / reading the file",
    "checking": "校验 / checking",
    "writing": "写入 / writing",
    "done": "结束 / finished",
}
SHOWN_PROBLEMS = 50


def block(lang: str, quarter: Quarter) -> html.Section:
    return section(
        i18n.pair("批量上传（全省多家医院，一个季度）/ Bulk upload (many hospitals, one quarter)", lang),
        html.Div(
            i18n.pair(
                "CSV、XLSX 或 JSON lines；列：医院编号或统一社会信用代码、季度（可选）、指标编码、分子、分母、备注 / "
                "CSV, XLSX or JSON lines; columns: hospital id or credit code, quarter (optional), indicator, "
                "numerator, denominator, comment",
                lang,
            )
        ),
        dcc.Upload(
            id="bulk-file",
            children=html.Div(i18n.pair("拖放或点击选择文件 / drop or click to choose a file", lang)),
            style={"border": "1px dashed #888", "padding": "12px", "margin": "6px 0", "cursor": "pointer"},
        ),
        html.Div(id="bulk-filename"),
        html.Div(
            [
                html.Label(
                    [i18n.pair("季度 / quarter", lang), dcc.Input(id="bulk-quarter", value=str(quarter))]
                ),
                html.Label(
                    [i18n.pair("更正原因 / correction reason", lang), dcc.Input(id="bulk-reason", value="")]
                ),
                dcc.Checklist(
                    id="bulk-options",
                    options=[
                        {"label": i18n.pair("只校验 / dry run", lang), "value": "dry_run"},
                        {
                            "label": i18n.pair("保存通过的医院 / keep the hospitals that passed", lang),
                            "value": "keep",
                        },
                    ],
                    value=[],
                    inline=True,
                ),
                html.Button(i18n.pair("上传 / Upload", lang), id="bulk-go"),
            ],
            style={"display": "flex", "gap": "10px", "alignItems": "center", "flexWrap": "wrap"},
        ),
        dcc.Store(id="bulk-job"),
        dcc.Interval(id="bulk-poll", interval=500, disabled=True),
        html.Div(id="bulk-status", **attrs({"aria-live": "polite"})),
    )


def _kind(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return {"xlsx": "xlsx", "jsonl": "jsonl", "ndjson": "jsonl"}.get(ext, "csv")


def start(contents: str | None, filename: str | None, quarter: str, reason: str, options: list[str]) -> tuple:
    """Spool the uploaded file, create the job and start it; (job id, poll disabled?, message)."""
    actor, lang = current_actor(), current_lang()
    if not contents:
        return None, True, _error(i18n.pair("请先选择文件 / choose a file first", lang))
    try:
        data = base64.b64decode(contents.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        return None, True, _error(i18n.pair("文件无法读取 / the file cannot be read", lang))
    fd, path = tempfile.mkstemp(prefix="qcp-bulk-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    try:
        opts = bulk.BulkOptions(
            kind=_kind(filename or ""),
            quarter=parse_quarter(quarter.strip()) if quarter and quarter.strip() else None,
            dry_run="dry_run" in options,
            keep_passing="keep" in options,
            reason=reason or None,
        )
        with database().unit_of_work(actor) as session:
            job_id = bulk.create_job(session, actor, options=opts, bytes_total=len(data))
    except DomainError as exc:
        os.unlink(path)
        return None, True, _error(i18n.pair(exc.detail, lang))
    bulk.start_job(database(), actor, job_id=job_id, options=opts, path=path)
    return job_id, False, html.Div(i18n.pair(STATUS["queued"], lang), id="bulk-state")


def _error(text: str) -> html.Div:
    return html.Div(text, role="alert", className="qcp-error", id="bulk-error")


def view(job: bulk.BulkUploadRead, lang: str) -> html.Div:
    done = job.status in ("succeeded", "refused", "failed")
    parts: list[Any] = [
        html.Progress(value=str(job.progress), max="1", id="bulk-progress", style={"width": "100%"}),
        html.Div(
            f"{i18n.pair(STATUS[job.status], lang)} · {i18n.pair(PHASE.get(job.phase, job.phase), lang)} · "
            f"{job.rows_read} {i18n.pair('行 / rows', lang)}",
            id=f"bulk-state-{job.status}" if done else "bulk-state",
        ),
    ]
    if job.result:
        r = job.result
        stored = (
            i18n.pair("已保存 / stored", lang) if r.get("stored") else i18n.pair("未保存 / not stored", lang)
        )
        parts.append(
            html.Div(
                f"{stored}: {r['hospitals_passed']} / {r['hospitals']} {i18n.pair('家医院 / hospitals', lang)}, "
                f"{r['values_changed']} {i18n.pair('个值有变化 / values changed', lang)}",
                id="bulk-result",
            )
        )
    if job.error:
        parts.append(_error(i18n.pair(job.error, lang)))
    if job.problems:
        rows = [
            {
                "row": p.get("row") or "",
                "hospital": p.get("hospital") or p.get("hospital_id") or "",
                "indicator": p.get("indicator") or "",
                "problem": i18n.pair(str(p.get("problem", "")), lang),
            }
            for p in job.problems[:SHOWN_PROBLEMS]
        ]
        parts.append(
            html.Div(
                f"{job.problem_count} {i18n.pair('个问题 / problem(s)', lang)}",
                role="alert",
                className="qcp-error",
            )
        )
        columns = [("row", "行 / row"), ("hospital", "医院 / hospital"), ("indicator", "指标 / indicator")]
        parts.append(
            table(
                rows,
                [(k, i18n.pair(v, lang)) for k, v in columns]
                + [("problem", i18n.pair("问题 / problem", lang))],
                id="bulk-problems",
            )
        )
    return html.Div(parts)


def poll(job_id: int | None) -> tuple:
    actor, lang = current_actor(), current_lang()
    if job_id is None:
        return None, True
    try:
        with database().unit_of_work(actor) as session:
            job = bulk.get_job(session, actor, job_id=int(job_id))
    except DomainError as exc:
        return _error(i18n.pair(exc.detail, lang)), True
    return view(job, lang), job.status in ("succeeded", "refused", "failed")


def register(app: Dash) -> None:
    @app.callback(
        Output("bulk-filename", "children"), Input("bulk-file", "filename"), prevent_initial_call=True
    )
    def _name(filename):  # noqa: ANN001, ANN202
        return filename or ""

    @app.callback(
        Output("bulk-job", "data"),
        Output("bulk-poll", "disabled"),
        Output("bulk-status", "children", allow_duplicate=True),
        Input("bulk-go", "n_clicks"),
        State("bulk-file", "contents"),
        State("bulk-file", "filename"),
        State("bulk-quarter", "value"),
        State("bulk-reason", "value"),
        State("bulk-options", "value"),
        prevent_initial_call=True,
    )
    def _start(_, contents, filename, quarter, reason, options):  # noqa: ANN001, ANN202
        return start(contents, filename, quarter or "", reason or "", options or [])

    @app.callback(
        Output("bulk-status", "children"),
        Output("bulk-poll", "disabled", allow_duplicate=True),
        Input("bulk-poll", "n_intervals"),
        State("bulk-job", "data"),
        prevent_initial_call=True,
    )
    def _poll(_, job_id):  # noqa: ANN001, ANN202
        return poll(job_id)
