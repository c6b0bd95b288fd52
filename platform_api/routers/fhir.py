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
from platform_api.openapi_examples import (
    API_ERROR_REF,
    E422_FHIR_PARAMS,
    E422_PARAMS,
    FHIR_403,
    FHIR_404,
    FHIR_413,
    FHIR_415,
    FHIR_422,
    FHIR_ACCEPTED,
    FHIR_BUNDLE_IN,
    FHIR_BUNDLE_RESPONSE,
    FHIR_DRY_RUN,
    FHIR_MEASURE,
    FHIR_REPORT_IN,
    Responses,
    fhir_error,
    fhir_resource,
)
from platform_api.routers.registry import denials
from services.core.errors import DomainError
from services.submission import io_service
from services.submission.fhir_common import FhirInvalid, fhir_settings, issue
from services.submission.fhir_resources import outcome_for, success_response
from services.submission.io_common import UnsupportedFileType, too_large

router = APIRouter(prefix="/fhir", tags=["fhir"])
FHIR_JSON = "application/fhir+json"
_OUTCOMES = {
    "accepted": {"summary": "已接收 / accepted", "value": FHIR_ACCEPTED},
    "dry_run": {"summary": "dry_run=true：只校验 / checked only", "value": FHIR_DRY_RUN},
}
_RESPONSES: Responses = {
    403: fhir_error("报告的医院不是您账号所属的医院 / the report names another hospital", FHIR_403),
    413: fhir_error("请求体过大 / body too large", FHIR_413),
    415: fhir_error(f"Content-Type 须为 {FHIR_JSON} / Content-Type must be {FHIR_JSON}", FHIR_415),
    422: {
        "description": "OperationOutcome：每个问题带 expression；查询参数错误（如 dry_run=maybe）则是平台的 "
        "{error, detail} / every problem with its FHIRPath; a bad query parameter answers the platform's "
        "JSON error",
        "content": {
            FHIR_JSON: {"schema": fhir_resource("OperationOutcome"), "example": FHIR_422},
            "application/json": {"schema": API_ERROR_REF, "example": E422_FHIR_PARAMS},
        },
    },
}


def _request_body(**examples: tuple[str, dict]) -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {
                FHIR_JSON: {
                    "schema": {
                        "type": "object",
                        "description": "FHIR R4 资源 / a FHIR R4 resource (docs/fhir.md)",
                    },
                    "examples": {
                        name: {"summary": summary, "value": value}
                        for name, (summary, value) in examples.items()
                    },
                }
            },
        }
    }


class FhirJSONResponse(JSONResponse):
    """Documents the answers as application/fhir+json (the handlers build their responses themselves)."""

    media_type = FHIR_JSON


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
    response_class=FhirJSONResponse,
    responses={
        200: {
            "description": "OperationOutcome（information；合理性提醒为 warning）/ with warnings as "
            "`warning` issues",
            "content": {FHIR_JSON: {"schema": fhir_resource("OperationOutcome"), "examples": _OUTCOMES}},
        },
        **_RESPONSES,
    },
    openapi_extra=_request_body(report=("一个指标的季度报告 / one indicator, one quarter", FHIR_REPORT_IN)),
    summary="提交一个 MeasureReport / submit one MeasureReport",
    description="Content-Type: application/fhir+json；映射见 docs/fhir.md / mapping in docs/fhir.md.",
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
    response_class=FhirJSONResponse,
    responses={
        200: {
            "description": "batch/transaction：对应的 -response Bundle；collection：OperationOutcome / a "
            "batch- or transaction-response Bundle; for a collection, an "
            "OperationOutcome",
            "content": {
                FHIR_JSON: {
                    "schema": fhir_resource("Bundle", "OperationOutcome"),
                    "examples": {
                        "transaction": {"summary": "transaction-response", "value": FHIR_BUNDLE_RESPONSE},
                        **_OUTCOMES,
                    },
                }
            },
        },
        **_RESPONSES,
    },
    openapi_extra=_request_body(transaction=("两个指标的 transaction / two indicators", FHIR_BUNDLE_IN)),
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
    response_class=FhirJSONResponse,
    responses={
        200: {
            "description": "Measure",
            "content": {FHIR_JSON: {"schema": fhir_resource("Measure"), "example": FHIR_MEASURE}},
        },
        404: fhir_error("未知指标 / unknown indicator", FHIR_404),
        # FastAPI documents a 422 for any route with parameters: give it the shape the app answers
        # (spelled out: an ApiError model would be filed under the route's fhir+json media type)
        422: {
            "description": "请求格式错误 / invalid request",
            "content": {"application/json": {"schema": API_ERROR_REF, "example": E422_PARAMS}},
        },
    },
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
