"""Review of a hospital's quarter (approve, return, reopen) and the review queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import E409_STALE, denied
from platform_api.routers.registry import (
    BAD_PARAMETERS,
    INVALID_DATA,
    NOT_FOUND,
    denials,
    forbidden,
    write_responses,
)
from platform_api.routers.submissions import HospitalId, QuarterPath, etag, example, if_match_version
from services.core.actor import Role
from services.core.quarter import Quarter
from services.core.schemas import StrictModel
from services.submission import review
from services.submission.review import QueueItem
from services.submission.schemas import SubmissionRead
from services.submission.validation import parse_quarter

router = APIRouter(prefix="/api/v1", tags=["review"])
ITEM = "/hospitals/{hospital_id}/submissions/{quarter}"
DECIDE_RESPONSES = write_responses(
    denied("review.decide", Role.PROVINCIAL_ANALYST, province="330000"), E409_STALE
)
REOPEN_REFUSED = {
    "error": "forbidden",
    "detail": "只有省级质控管理员可以重新开放 / only the provincial QC admin can reopen a quarter",
}
REOPEN_RESPONSES = {**forbidden(REOPEN_REFUSED), **INVALID_DATA}
READ_EXAMPLE = example(
    {
        "hospital_id": 101,
        "quarter": "2023Q2",
        "catalog_year": 2023,
        "status": "approved",
        "version": 2,
        "late": False,
        "first_submitted_at": "2023-07-10T09:00:00+08:00",
        "submitted_at": "2023-07-10T09:00:00+08:00",
        "reviewed_at": "2023-07-20T10:00:00+08:00",
        "reviewed_by": "zj-admin",
        "review_comment": "数据完整 / complete",
        "reopened_at": None,
        "values": [],
    }
)


class DecisionIn(StrictModel):
    comment: str = ""


class ReopenIn(StrictModel):
    reason: str


def _decided(
    request: Request,
    response: Response,
    actor: CurrentActor,
    permission: str,
    target: str,
    decide: Callable[[], SubmissionRead],
) -> SubmissionRead:
    """Run one review decision (denials audited under ``permission``) and answer it with its ETag."""
    with denials(request, actor, permission, "submission", target):
        read = decide()
    response.headers["ETag"] = etag(read.version)
    return read


def _quarter_query(quarter: Annotated[str | None, Query(examples=["2023Q2"])] = None) -> Quarter | None:
    return parse_quarter(quarter) if quarter else None


@router.post(
    ITEM + "/approve",
    response_model=SubmissionRead,
    summary="审核通过 / approve",
    responses={200: READ_EXAMPLE, **DECIDE_RESPONSES, **NOT_FOUND},
)
def approve(
    request: Request,
    response: Response,
    actor: CurrentActor,
    session: DbSession,
    hospital_id: HospitalId,
    quarter: QuarterPath,
    body: Annotated[DecisionIn, Body(openapi_examples={"ok": {"value": {"comment": "数据完整 / complete"}}})],
    expected_version: Annotated[int | None, Depends(if_match_version)] = None,
) -> SubmissionRead:
    return _decided(
        request,
        response,
        actor,
        "review.decide",
        f"{hospital_id}:{quarter}",
        lambda: review.approve(
            session,
            actor,
            hospital_id=hospital_id,
            quarter=quarter,
            comment=body.comment,
            expected_version=expected_version,
        ),
    )


@router.post(
    ITEM + "/return",
    response_model=SubmissionRead,
    summary="退回修改 / return for correction",
    responses={200: READ_EXAMPLE, **DECIDE_RESPONSES, **NOT_FOUND},
)
def return_for_correction(
    request: Request,
    response: Response,
    actor: CurrentActor,
    session: DbSession,
    hospital_id: HospitalId,
    quarter: QuarterPath,
    body: Annotated[
        DecisionIn,
        Body(openapi_examples={"fix": {"value": {"comment": "分母偏小，请核对 / check the denominator"}}}),
    ],
    expected_version: Annotated[int | None, Depends(if_match_version)] = None,
) -> SubmissionRead:
    return _decided(
        request,
        response,
        actor,
        "review.decide",
        f"{hospital_id}:{quarter}",
        lambda: review.return_submission(
            session,
            actor,
            hospital_id=hospital_id,
            quarter=quarter,
            comment=body.comment,
            expected_version=expected_version,
        ),
    )


@router.post(
    ITEM + "/reopen",
    response_model=SubmissionRead,
    summary="锁定后重新开放 / reopen after lock",
    responses={200: READ_EXAMPLE, **REOPEN_RESPONSES, **NOT_FOUND},
)
def reopen(
    request: Request,
    response: Response,
    actor: CurrentActor,
    session: DbSession,
    hospital_id: HospitalId,
    quarter: QuarterPath,
    body: Annotated[
        ReopenIn,
        Body(openapi_examples={"audit": {"value": {"reason": "数据核查后更正 / correction after audit"}}}),
    ],
) -> SubmissionRead:
    return _decided(
        request,
        response,
        actor,
        "window.manage",
        f"{hospital_id}:{quarter}",
        lambda: review.reopen(session, actor, hospital_id=hospital_id, quarter=quarter, reason=body.reason),
    )


@router.get(
    "/review-queue",
    response_model=list[QueueItem],
    summary="待审核队列 / review queue",
    responses={
        200: example(
            [
                {
                    "hospital_id": 101,
                    "hospital_name": "浙江省人民医院",
                    "province_code": "330000",
                    "quarter": "2023Q2",
                    "version": 1,
                    "late": False,
                    "submitted_at": "2023-07-10T09:00:00+08:00",
                    "latest": {
                        "values": 26,
                        "written": 1,
                        "correction": True,
                        "reason": "更正：漏报 3 例 / correction: 3 cases were missed",
                        "changes": [
                            {
                                "indicator": "NIT-2023-I.1",
                                "numerator": 15,
                                "denominator": 20,
                                "previous_numerator": 12,
                                "previous_denominator": 20,
                                "comment": None,
                            }
                        ],
                    },
                }
            ]
        ),
        **BAD_PARAMETERS,
    },
)
def review_queue(
    actor: CurrentActor,
    session: DbSession,
    quarter: Annotated[Quarter | None, Depends(_quarter_query)] = None,
) -> list[QueueItem]:
    return review.review_queue(session, actor, quarter=quarter)
