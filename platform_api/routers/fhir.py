"""``/fhir``: FHIR R4 MeasureReport submission and Measure definitions (docs/fhir.md).

Every error on these routes is an OperationOutcome (``application/fhir+json``), raised as
:class:`FhirError` so the request's transaction still rolls back before it is rendered.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession, PublicSession
from platform_api.routers.registry import denials
from services.core.errors import DomainError
from services.submission import io_service
from services.submission.fhir_common import FhirInvalid, fhir_settings, issue
from services.submission.fhir_resources import outcome_for, success_response
from services.submission.io_common import UnsupportedFileType, too_large

router = APIRouter(prefix="/fhir", tags=["fhir"])
FHIR_JSON = "application/fhir+json"
_RESPONSES = {
    200: {
        "content": {FHIR_JSON: {}},
        "description": "OperationOutcome，或 batch/transaction-response Bundle",
    },
    403: {"description": "报告的医院不是您账号所属的医院 / the report names another hospital"},
    413: {"description": "请求体过大 / body too large"},
    415: {"description": f"Content-Type 须为 {FHIR_JSON} / Content-Type must be {FHIR_JSON}"},
    422: {"description": "OperationOutcome：每个问题带 expression / every problem with its FHIRPath"},
}


class FhirError(Exception):
    """A refusal already rendered as an OperationOutcome."""

    def __init__(self, status: int, outcome: dict) -> None:
        super().__init__(status)
        self.status = status
        self.outcome = outcome


def fhir_response(body: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON)


async def read_fhir_json(request: Request, limit: int) -> Any:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != FHIR_JSON:
        raise UnsupportedFileType(
            f"Content-Type 须为 {FHIR_JSON}，收到 {media or '(无)'} / "
            f"Content-Type must be {FHIR_JSON}, got {media or '(none)'}"
        )
    body, size = bytearray(), 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        body.extend(chunk)
    try:
        return json.loads(bytes(body).decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FhirInvalid(
            [issue("structure", None, f"请求体不是有效的 JSON：{exc}", f"the body is not valid JSON: {exc}")]
        ) from None


async def _submit(
    request: Request, session: Any, actor: Any, expect: str, dry_run: bool, idempotency_key: str | None
) -> JSONResponse:
    try:
        with denials(request, actor, "submission.fhir", "submission"):
            document = await read_fhir_json(request, fhir_settings().max_bytes)
            result, parsed = await run_in_threadpool(
                io_service.submit_fhir,
                session,
                actor,
                document=document,
                expect=expect,
                dry_run=dry_run,
                idempotency_key=idempotency_key,
            )
    except DomainError as exc:
        raise FhirError(*outcome_for(exc)) from exc
    return fhir_response(success_response(result, parsed))


@router.post(
    "/MeasureReport",
    response_class=JSONResponse,
    responses=_RESPONSES,
    summary="提交一个 MeasureReport / submit one MeasureReport",
)
async def post_measure_report(  # noqa: ANN201
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    dry_run: bool = False,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
):
    return await _submit(request, session, actor, "MeasureReport", dry_run, idempotency_key)


@router.post(
    "",
    response_class=JSONResponse,
    responses=_RESPONSES,
    summary="提交 MeasureReport 的 Bundle / submit a Bundle of MeasureReports",
    description="Bundle.type 为 collection、batch 或 transaction；一个 Bundle 对应一家医院的一个季度，"
    "全部接受或全部拒绝 / one hospital, one quarter, all or nothing.",
)
async def post_bundle(  # noqa: ANN201
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    dry_run: bool = False,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
):
    return await _submit(request, session, actor, "Bundle", dry_run, idempotency_key)


@router.get(
    "/Measure/{code}",
    response_class=JSONResponse,
    responses={200: {"content": {FHIR_JSON: {}}}, 404: {"description": "未知指标 / unknown indicator"}},
    summary="指标的 FHIR Measure / an indicator as a FHIR Measure (public)",
)
def get_measure(code: str, session: PublicSession) -> JSONResponse:
    try:
        return fhir_response(io_service.measure_for(session, code=code))
    except DomainError as exc:
        raise FhirError(*outcome_for(exc)) from exc


async def _render(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FhirError)
    return fhir_response(exc.outcome, exc.status)


def install_fhir_errors(app: FastAPI) -> None:
    app.add_exception_handler(FhirError, _render)
