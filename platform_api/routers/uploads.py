"""``/api/v1/hospitals/{id}/submissions/{quarter}``: templates (XLSX, CSV) and file uploads.

The request body is read through a size cap before the multipart parser sees it (413 as soon as
the cap is passed); the declared content type decides CSV or XLSX, checked against the bytes
(415 otherwise). The uploaded file's name is only a hint for generic content types: it is never
used as a path, and never echoed back.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import (
    BINARY,
    E409_IDEMPOTENCY,
    E413,
    E415,
    FILE_NOTE,
    TEMPLATE_CSV,
    UPLOAD_RESULT,
    XLSX,
    Responses,
    error,
    ok,
)
from platform_api.routers.registry import BAD_PARAMETERS, NOT_FOUND, denials, write_responses
from platform_api.routers.submissions import SUBMIT_REFUSED
from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.submission import io_service
from services.submission.io_common import FileUnreadable, UnsupportedFileType, too_large, upload_settings
from services.submission.io_template import XLSX_MEDIA_TYPE
from services.submission.schemas import SubmissionResult
from services.submission.validation import parse_quarter

router = APIRouter(prefix="/api/v1/hospitals/{hospital_id}/submissions/{quarter}", tags=["submissions"])
MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file itself
PREFILL = (
    "true：填入已报送的分子、分母、备注，便于更正 / true: fill in the values on record, to start a correction"
)
MAX_REASON = 2000  # characters of the correction reason sent beside the file
UPLOAD_RESPONSES: Responses = {
    **write_responses(SUBMIT_REFUSED, E409_IDEMPOTENCY),
    **NOT_FOUND,
    413: error("文件过大 / the file exceeds the size limit", E413),
    415: error("不是 CSV 或 XLSX / not CSV or XLSX (or not multipart/form-data)", E415),
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
                            "description": "下载的模板填写后上传 / the filled-in template (CSV or XLSX)",
                        },
                        "reason": {
                            "type": "string",
                            "maxLength": MAX_REASON,
                            "description": "更正原因：更正已提交的季度时必填 / correction reason: required "
                            "when the upload changes a quarter that was already submitted",
                        },
                    },
                },
                "encoding": {"file": {"contentType": f"text/csv, {XLSX}"}},
            }
        },
    }
}


def quarter_path(quarter: Annotated[str, Path(examples=["2023Q2"])]) -> Quarter:
    return parse_quarter(quarter)


QuarterPath = Annotated[Quarter, Depends(quarter_path)]


@dataclass(frozen=True)
class Upload:
    data: bytes
    content_type: str | None
    filename: str | None
    reason: str | None = None


async def _capped(stream: AsyncIterator[bytes], cap: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > cap:
            raise too_large(size, cap - MULTIPART_SLACK)
        yield chunk


async def multipart_file(request: Request, limit: int) -> tuple[FormData, UploadFile]:
    """The parsed multipart/form-data body (at most ``limit`` bytes of file, streamed and capped) and
    its ``file`` part; the caller closes the form. Shared by the single and the bulk upload."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise UnsupportedFileType(
            "请以 multipart/form-data 上传，文件字段名为 file / "
            "send multipart/form-data with the file in field 'file'"
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_SLACK:
        raise too_large(int(declared), limit)
    parser = MultiPartParser(
        request.headers, _capped(request.stream(), limit + MULTIPART_SLACK), max_files=1, max_fields=4
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise FileUnreadable(f"上传内容格式错误：{exc.message} / malformed upload: {exc.message}") from None
    part = form.get("file")
    if not isinstance(part, UploadFile):
        await form.close()
        raise ValidationFailed(
            "缺少文件字段 file / the form has no file field 'file'",
            problems=[{"field": "file", "code": "required"}],
        )
    return form, part


async def read_upload(request: Request, limit: int) -> Upload:
    """The single ``file`` part of a multipart/form-data request, at most ``limit`` bytes."""
    form, part = await multipart_file(request, limit)
    try:
        data = await part.read(limit + 1)
        if len(data) > limit:
            raise too_large(len(data), limit)
        reason = form.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ValidationFailed(
                "reason 须为文本字段，不能是文件 / 'reason' must be a text field, not a file",
                problems=[{"field": "reason", "code": "not_text"}],
            )
        if reason is not None and len(reason) > MAX_REASON:
            raise ValidationFailed(
                f"更正原因过长（{len(reason)} 字），最多 {MAX_REASON} 字 / the reason has {len(reason)} "
                f"characters; at most {MAX_REASON}",
                problems=[{"field": "reason", "code": "too_long", "max": MAX_REASON}],
            )
        return Upload(data, part.content_type, part.filename, reason)
    finally:
        await form.close()


@router.get(
    "/template.xlsx",
    response_class=Response,
    responses={
        200: {"description": "XLSX 工作簿 / the workbook", "content": {XLSX_MEDIA_TYPE: {"schema": BINARY}}},
        **NOT_FOUND,
        **BAD_PARAMETERS,
    },
    summary="下载 XLSX 上报模板 / download the XLSX template",
    description="每个适用指标一行；只有 分子、分母、备注 可编辑 / one row per applicable indicator; only "
    "numerator, denominator and comment are editable. 模板记录医院与季度，传错会被拒绝 / "
    "the template records hospital and quarter, and is refused elsewhere.",
)
def xlsx_template(
    hospital_id: int,
    quarter: QuarterPath,
    session: DbSession,
    actor: CurrentActor,
    prefill: Annotated[bool, Query(description=PREFILL)] = False,
) -> Response:
    data = io_service.template_for(
        session, actor, hospital_id=hospital_id, quarter=quarter, kind="xlsx", prefill=prefill
    )
    return _download(data, XLSX_MEDIA_TYPE, f"qcp-template-{hospital_id}-{quarter}.xlsx")


@router.get(
    "/template.csv",
    response_class=Response,
    responses={
        200: ok(TEMPLATE_CSV, f"CSV 模板，{FILE_NOTE} / the CSV template", "text/csv"),
        **NOT_FOUND,
        **BAD_PARAMETERS,
    },
    summary="下载 CSV 上报模板 / download the CSV template",
    description="首行 #QCP 记录医院、季度与目录年度；填写 分子、分母、备注 列 / the #QCP line records hospital, "
    "quarter and catalog year; fill in the numerator, denominator and comment columns.",
)
def csv_template(
    hospital_id: int,
    quarter: QuarterPath,
    session: DbSession,
    actor: CurrentActor,
    prefill: Annotated[bool, Query(description=PREFILL)] = False,
) -> Response:
    data = io_service.template_for(
        session, actor, hospital_id=hospital_id, quarter=quarter, kind="csv", prefill=prefill
    )
    return _download(data, "text/csv; charset=utf-8", f"qcp-template-{hospital_id}-{quarter}.csv")


def _download(data: bytes, media_type: str, filename: str) -> Response:
    # filename is built from an integer and a Quarter: nothing from the request reaches the header
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(content=data, media_type=media_type, headers=headers)


@router.post(
    "/upload",
    response_model=SubmissionResult,
    responses={200: ok(UPLOAD_RESULT), **UPLOAD_RESPONSES},
    openapi_extra=UPLOAD_BODY,
    summary="上传 CSV / XLSX 季度数据 / upload a CSV or XLSX file",
    description="multipart/form-data，字段 file。全部接受或全部拒绝，问题注明行号与列 / "
    "all rows are accepted or none; problems name their row and column. "
    "dry_run=true 只校验不保存 / checks without saving. "
    "更正已提交的季度时，在表单字段 reason 中说明更正原因 / to correct a submitted quarter, give the "
    "reason in the form field 'reason'.",
)
async def upload(  # noqa: ANN201
    hospital_id: int,
    quarter: QuarterPath,
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    dry_run: bool = False,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
):
    with denials(request, actor, "submission.upload", "submission", f"{hospital_id}/{quarter}"):
        upload = await read_upload(request, upload_settings().max_bytes)
        kind = io_service.detect_kind(upload.content_type, upload.filename, upload.data)
        return await run_in_threadpool(
            io_service.submit_upload,
            session,
            actor,
            hospital_id=hospital_id,
            quarter=quarter,
            data=upload.data,
            kind=kind,
            dry_run=dry_run,
            idempotency_key=idempotency_key,
            reason=upload.reason,
        )
