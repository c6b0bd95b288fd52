"""``/api/v1/hospitals/{hospital_id}/submissions/{quarter}``: send, correct and read quarterly values.

Thin: parse, call one service function, return. ``If-Match`` carries the submission version
(``ETag`` of the GET); ``Idempotency-Key`` makes a retry safe; ``?dry_run=true`` validates only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import E409_IDEMPOTENCY, E409_STALE, E422_SHAPE, denied, error
from platform_api.routers.registry import BAD_PARAMETERS, INVALID_DATA, NOT_FOUND, denials, write_responses
from services.core.actor import Role
from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.submission import reads, service
from services.submission.schemas import (
    EventRead,
    SubmissionIn,
    SubmissionRead,
    SubmissionResult,
    ValueVersionRead,
)
from services.submission.validation import parse_quarter

router = APIRouter(prefix="/api/v1/hospitals/{hospital_id}/submissions/{quarter}", tags=["submissions"])

SUBMIT_REFUSED = denied("submission.write", Role.HOSPITAL_VIEWER, province="330000", hospital_id=101)

HospitalId = Annotated[int, Path(examples=[101], description="医院 ID / hospital id")]


# Path and header parsers are async: pure CPU, so FastAPI runs them on the event loop instead of a
# thread-pool hop each (bench/surge.py).
async def quarter_path(quarter: Annotated[str, Path(examples=["2023Q2"], description="YYYYQn")]) -> Quarter:
    return parse_quarter(quarter)


QuarterPath = Annotated[Quarter, Depends(quarter_path)]


async def if_match_version(if_match: Annotated[str | None, Header(examples=['"3"'])] = None) -> int | None:
    """``If-Match: "3"`` (or ``W/"3"`` / ``3``) → 3; absent → None."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ValidationFailed(
            'If-Match 应为版本号，如 "3" / If-Match must be the version, e.g. "3"',
            problems=[
                {
                    "field": "If-Match",
                    "code": "bad_if_match",
                    "problem": if_match,
                    "fix": "send the ETag of the last GET",
                }
            ],
        )
    return int(text)


def etag(version: int) -> str:
    return f'"{version}"'


def example(payload: Any, description: str = "成功 / OK") -> dict:
    return {"description": description, "content": {"application/json": {"example": payload}}}


RESULT_EXAMPLE = {
    "hospital_id": 101,
    "quarter": "2023Q2",
    "catalog_year": 2023,
    "status": "submitted",
    "version": 1,
    "late": False,
    "dry_run": False,
    "replayed": False,
    "changed": ["NIT-2023-IV.1"],
    "unchanged": [],
    "values": [
        {
            "indicator": "NIT-2023-IV.1",
            "numerator": 1,
            "denominator": 1200,
            "comment": None,
            "version": 1,
            "no_cases": False,
        }
    ],
    "warnings": [],
}
PROBLEM_EXAMPLE = {
    "error": "validation_failed",
    "detail": "上报被拒绝：1 个问题，未保存任何数据 / submission refused: 1 problem(s), nothing was saved",
    "problems": [
        {
            "indicator": "NIT-2023-IV.1",
            "field": "numerator",
            "code": "numerator_above_denominator",
            "problem": "分子 5 大于分母 4 / numerator 5 exceeds denominator 4",
            "fix": "比例类指标的分子不能大于分母 / a proportion's numerator cannot exceed its denominator",
            "index": 0,
        }
    ],
}
SUBMIT_BODY_EXAMPLES = {
    "first": {
        "summary": "首次上报 / first submission",
        "value": {
            "values": [
                {"indicator": "NIT-2023-IV.1", "numerator": 1, "denominator": 1200},
                {"indicator": "NIT-2023-IV.2", "numerator": 2, "denominator": 1200},
                {"indicator": "NIT-2023-IV.3", "numerator": 3, "denominator": 1200},
            ]
        },
    },
    "correction": {
        "summary": "更正（需 If-Match 与原因）/ correction (If-Match and a reason)",
        "value": {
            "values": [{"indicator": "NIT-2023-IV.3", "numerator": 4, "denominator": 1200}],
            "reason": "漏报 1 例 / one death was missed",
        },
    },
    "no_cases": {
        "summary": "无病例 0/0 / no cases",
        "value": {
            "values": [
                {
                    "indicator": "NIT-2023-VIII.1",
                    "numerator": 0,
                    "denominator": 0,
                    "comment": "本季度无感染性休克患者",
                }
            ]
        },
    },
}
# GET answers SubmissionRead: the header and values, without the POST-only result keys
READ_BASE = {
    k: v
    for k, v in RESULT_EXAMPLE.items()
    if k not in ("changed", "unchanged", "dry_run", "replayed", "warnings")
}


@router.post(
    "",
    response_model=SubmissionResult,
    summary="上报或更正季度数据 / submit or correct a quarter",
    responses={
        200: example(RESULT_EXAMPLE),
        **write_responses(SUBMIT_REFUSED, E409_STALE, E409_IDEMPOTENCY),
        422: error(INVALID_DATA[422]["description"], PROBLEM_EXAMPLE, E422_SHAPE),
        **NOT_FOUND,
    },
)
def post_submission(
    request: Request,
    response: Response,
    actor: CurrentActor,
    session: DbSession,
    hospital_id: HospitalId,
    quarter: QuarterPath,
    body: Annotated[SubmissionIn, Body(openapi_examples=SUBMIT_BODY_EXAMPLES)],
    dry_run: Annotated[bool, Query(description="只校验不保存 / validate only, save nothing")] = False,
    idempotency_key: Annotated[str | None, Header(examples=["2023Q2-upload-7f3a"])] = None,
    expected_version: Annotated[int | None, Depends(if_match_version)] = None,
) -> Response:
    with denials(request, actor, "submission.write", "submission", f"{hospital_id}:{quarter}"):
        result = service.submit(
            session,
            actor,
            hospital_id=hospital_id,
            quarter=quarter,
            values=body.values,
            source="api",
            dry_run=dry_run,
            expected_version=expected_version,
            reason=body.reason,
            idempotency_key=idempotency_key,
        )
    # Serialised once by the model that built it (FastAPI would validate the ~60 values a second time
    # against response_model, which stays for the OpenAPI document): 7% of a worker's CPU in a surge.
    return Response(
        result.model_dump_json(), media_type="application/json", headers={"ETag": etag(result.version)}
    )


@router.get(
    "",
    response_model=SubmissionRead,
    summary="当前数值、状态与版本 / current values, status and version",
    responses={
        200: example(
            {
                **READ_BASE,
                "first_submitted_at": "2023-07-10T09:00:00+08:00",
                "submitted_at": "2023-07-10T09:00:00+08:00",
                "reviewed_at": None,
                "reviewed_by": None,
                "review_comment": "",
                "reopened_at": None,
            }
        ),
        **NOT_FOUND,
        **BAD_PARAMETERS,
    },
)
def get_submission(
    response: Response, actor: CurrentActor, session: DbSession, hospital_id: HospitalId, quarter: QuarterPath
) -> SubmissionRead:
    read = reads.get_submission(session, actor, hospital_id=hospital_id, quarter=quarter)
    response.headers["ETag"] = etag(read.version)
    return read


@router.get(
    "/history",
    response_model=list[ValueVersionRead],
    summary="数值历史版本 / value history",
    responses={
        200: example(
            [
                {
                    "indicator": "NIT-2023-IV.3",
                    "version": 2,
                    "numerator": 4,
                    "denominator": 1200,
                    "comment": None,
                    "reason": "漏报 1 例",
                    "source": "api",
                    "actor_subject": "u-123",
                    "actor_roles": ["hospital_submitter"],
                    "client_id": None,
                    "recorded_at": "2023-07-12T10:00:00+08:00",
                }
            ]
        ),
        **NOT_FOUND,
        **BAD_PARAMETERS,
    },
)
def get_history(
    actor: CurrentActor,
    session: DbSession,
    hospital_id: HospitalId,
    quarter: QuarterPath,
    indicator: Annotated[str | None, Query(examples=["NIT-2023-IV.3"])] = None,
) -> list[ValueVersionRead]:
    return reads.value_history(session, actor, hospital_id=hospital_id, quarter=quarter, indicator=indicator)


@router.get(
    "/events",
    response_model=list[EventRead],
    summary="状态变更记录 / status transitions",
    responses={
        200: example(
            [
                {
                    "action": "return",
                    "from_status": "submitted",
                    "to_status": "returned",
                    "submission_version": 2,
                    "comment": "请核对分母",
                    "actor_subject": "admin",
                    "at": "2023-07-20T10:00:00+08:00",
                }
            ]
        ),
        **NOT_FOUND,
        **BAD_PARAMETERS,
    },
)
def get_events(
    actor: CurrentActor, session: DbSession, hospital_id: HospitalId, quarter: QuarterPath
) -> list[EventRead]:
    return reads.submission_events(session, actor, hospital_id=hospital_id, quarter=quarter)
