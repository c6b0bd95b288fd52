"""``/api/v1/bulk-uploads``: a provincial QC admin's one file for many hospitals and one quarter.

``POST`` streams the multipart body to a temporary file (never whole in memory; capped at
``QCP_BULK_MAX_BYTES``), creates the job and answers 202 with it; the job runs in a background
thread of this process (``services.submission.bulk``). ``GET /{id}`` reads its status, progress,
problems and result; ``GET`` lists the province's recent jobs.
"""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession, get_database
from platform_api.openapi_examples import BINARY, E413, E415, Responses, denied, error, ok
from platform_api.routers.registry import INVALID_DATA, NOT_FOUND, denials, forbidden
from platform_api.routers.uploads import MAX_REASON, multipart_file
from services.core.actor import Role
from services.core.errors import ValidationFailed
from services.submission import bulk
from services.submission.io_common import too_large
from services.submission.io_service import detect_kind
from services.submission.validation import parse_quarter

# A provincial analyst of 330000 lacks submission.bulk_upload: the 403 every bulk operation documents.
REFUSED: Responses = forbidden(denied("submission.bulk_upload", Role.PROVINCIAL_ANALYST, province="330000"))

router = APIRouter(prefix="/api/v1/bulk-uploads", tags=["bulk uploads"])
CHUNK = 1024 * 1024
JSONL_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonlines"})
JOB_EXAMPLE: dict[str, Any] = {
    "id": 7,
    "province_code": "330000",
    "quarter": "2023Q2",
    "kind": "csv",
    "dry_run": False,
    "keep_passing": False,
    "status": "refused",
    "phase": "done",
    "bytes_total": 5120,
    "bytes_read": 5120,
    "rows_read": 122,
    "progress": 1.0,
    "problem_count": 1,
    "problems": [
        {
            "row": 5,
            "hospital": "91440000MA5XXXXX1X",
            "hospital_id": None,
            "indicator": None,
            "field": "hospital",
            "code": "hospital_not_found",
            "problem": "第 5 行（共 61 行）：91440000MA5XXXXX1X 不是本省（330000）的医院，或不存在 / row 5 (61 rows): "
            "91440000MA5XXXXX1X is not a hospital of your province (330000)",
            "fix": "请核对医院编号或统一社会信用代码；只能上传本省医院的数据 / check the hospital id or credit code: "
            "only your province's hospitals can be uploaded",
        }
    ],
    "result": None,
    "error": "",
    "created_at": "2023-07-05T09:00:00+08:00",
    "started_at": "2023-07-05T09:00:00+08:00",
    "finished_at": "2023-07-05T09:00:01+08:00",
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            **BINARY,
                            "description": "CSV、XLSX 或 JSON lines，含医院列 / CSV, XLSX or JSON "
                            "lines with a hospital column",
                        },
                        "quarter": {
                            "type": "string",
                            "example": "2023Q2",
                            "description": "季度（或文件中的季度列）"
                            " / the quarter (or a quarter column in the file)",
                        },
                        "reason": {
                            "type": "string",
                            "maxLength": MAX_REASON,
                            "description": "更正原因 / correction reason",
                        },
                    },
                }
            }
        },
    }
}


def _kind(content_type: str | None, filename: str | None, head: bytes) -> str:
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    hint = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if declared in JSONL_TYPES or hint in ("jsonl", "ndjson"):
        return "jsonl"
    return detect_kind(content_type, filename, head)


def _text_field(form: Any, name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(
            f"{name} 须为文本字段 / '{name}' must be a text field",
            problems=[{"field": name, "code": "not_text"}],
        )
    return value.strip() if value and value.strip() else None


async def _spool(part: UploadFile, limit: int) -> tuple[str, int, bytes]:
    """Copy the uploaded part to a temporary file of our own (chunked); (path, size, first bytes)."""
    fd, path = tempfile.mkstemp(prefix="qcp-bulk-")
    size, head = 0, b""
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await part.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large(size, limit)
                head = head or chunk[:65536]
                out.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path, size, head


@router.post(
    "",
    status_code=202,
    response_model=bulk.BulkUploadRead,
    responses={
        202: ok(
            {
                **JOB_EXAMPLE,
                "status": "queued",
                "phase": "queued",
                "progress": 0.0,
                "problems": [],
                "problem_count": 0,
                "finished_at": None,
            },
            "已接收，任务在后台运行 / accepted: the job runs in the background",
        ),
        **REFUSED,
        **INVALID_DATA,
        413: error("文件过大 / the file exceeds QCP_BULK_MAX_BYTES", E413),
        415: error("不是 CSV、XLSX 或 JSON lines / not CSV, XLSX or JSON lines", E415),
    },
    openapi_extra=UPLOAD_BODY,
    summary="批量上传全省医院的季度数据 / bulk upload one quarter for many hospitals",
    description="省级质控管理员上传一个文件（CSV、XLSX 或 JSON lines，含医院编号或统一社会信用代码列），返回任务；"
    "用 GET /api/v1/bulk-uploads/{id} 查看进度与结果 / a provincial QC admin uploads one file with a hospital column; "
    "poll GET /api/v1/bulk-uploads/{id}. dry_run=true 只校验 / checks only; keep_passing=true 保存通过的医院 / "
    "stores the hospitals that passed (default: all or nothing).",
)
async def create_bulk_upload(
    request: Request,
    actor: CurrentActor,
    dry_run: bool = False,
    keep_passing: Annotated[
        bool, Query(description="保存通过校验的医院 / store the hospitals that passed")
    ] = False,
) -> JSONResponse:
    database = get_database(request)
    with denials(request, actor, "submission.bulk_upload", "bulk_upload"):
        bulk.check_allowed(actor)  # refused before a large body is read
        path, size, form_values = await _receive(request)
    try:
        options = bulk.BulkOptions(**form_values, dry_run=dry_run, keep_passing=keep_passing)
        with database.unit_of_work(actor) as session:
            job_id = bulk.create_job(session, actor, options=options, bytes_total=size)
        with database.unit_of_work(actor) as session:
            job = bulk.get_job(session, actor, job_id=job_id)
    except BaseException:
        os.unlink(path)
        raise
    bulk.start_job(database, actor, job_id=job_id, options=options, path=path)
    return JSONResponse(
        job.model_dump(mode="json"), status_code=202, headers={"Location": f"{router.prefix}/{job_id}"}
    )


async def _receive(request: Request) -> tuple[str, int, dict[str, Any]]:
    limit = bulk.bulk_settings().max_bytes
    form, part = await multipart_file(request, limit)
    try:
        quarter = _text_field(form, "quarter")
        reason = _text_field(form, "reason")
        if reason and len(reason) > MAX_REASON:  # the single upload's limit (one constant)
            raise ValidationFailed(
                f"更正原因过长（{len(reason)} 字），最多 {MAX_REASON} 字 / the reason has {len(reason)} "
                f"characters; at most {MAX_REASON}",
                problems=[{"field": "reason", "code": "too_long", "max": MAX_REASON}],
            )
        path, size, head = await _spool(part, limit)
        try:
            kind = _kind(part.content_type, part.filename, head)
        except BaseException:
            os.unlink(path)
            raise
        values = {
            "kind": kind,
            "quarter": parse_quarter(quarter) if quarter else None,
            "reason": reason,
        }
        return path, size, values
    finally:
        await form.close()


@router.get(
    "/{job_id}",
    response_model=bulk.BulkUploadRead,
    responses={200: ok(JOB_EXAMPLE), **NOT_FOUND, **REFUSED},
    summary="批量上传任务的状态、进度与问题 / a bulk upload's status, progress and problems",
)
def read_bulk_upload(job_id: int, session: DbSession, actor: CurrentActor) -> bulk.BulkUploadRead:
    return bulk.get_job(session, actor, job_id=job_id)


@router.get(
    "",
    response_model=list[bulk.BulkUploadRead],
    responses={200: ok([JOB_EXAMPLE]), **REFUSED},
    summary="本省最近的批量上传 / the province's recent bulk uploads",
)
def list_bulk_uploads(
    session: DbSession, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[bulk.BulkUploadRead]:
    return bulk.list_jobs(session, actor, limit=limit)
