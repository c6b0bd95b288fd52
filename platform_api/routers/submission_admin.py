"""Submission windows, completeness and indicator applicability."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import denied, race
from platform_api.routers.registry import BAD_PARAMETERS, NOT_FOUND, denials, write_responses
from platform_api.routers.submissions import HospitalId, example
from services.core.actor import Role
from services.core.quarter import Quarter
from services.submission import applicability, completeness, windows
from services.submission.applicability import ApplicabilityIn, ApplicabilityRead
from services.submission.completeness import CompletenessReport
from services.submission.validation import parse_quarter
from services.submission.windows import WindowIn, WindowRead

router = APIRouter(prefix="/api/v1", tags=["submission administration"])
WINDOW_EXAMPLE = {
    "province_code": "330000",
    "quarter": "2023Q2",
    "opens_at": "2023-07-01T00:00:00+08:00",
    "due_at": "2023-07-31T00:00:00+08:00",
    "locks_at": "2023-08-15T00:00:00+08:00",
    "is_default": True,
}
WINDOW_RESPONSES = write_responses(
    denied("window.manage", Role.PROVINCIAL_ANALYST, province="330000"),
    race("uq_submission_windows_province_quarter"),
)
APPLICABILITY_RESPONSES = write_responses(
    denied("review.decide", Role.PROVINCIAL_ANALYST, province="330000"),
    race("uq_indicator_applicability_target"),
)


def _quarter(quarter: Annotated[str, Path(examples=["2023Q2"])]) -> Quarter:
    return parse_quarter(quarter)


def _quarter_query(quarter: Annotated[str, Query(examples=["2023Q2"])]) -> Quarter:
    return parse_quarter(quarter)


Province = Annotated[
    str | None, Query(examples=["330000"], description="国家级用户指定省份 / for national callers")
]


@router.get(
    "/windows/{quarter}",
    response_model=WindowRead,
    summary="上报窗口 / submission window",
    responses={200: example(WINDOW_EXAMPLE), **BAD_PARAMETERS},
)
def get_window(
    actor: CurrentActor,
    session: DbSession,
    quarter: Annotated[Quarter, Depends(_quarter)],
    province_code: Province = None,
) -> WindowRead:
    return windows.get_window(session, actor, quarter=quarter, province_code=province_code)


@router.put(
    "/windows/{quarter}",
    response_model=WindowRead,
    summary="设置上报窗口 / set the window",
    responses={200: example({**WINDOW_EXAMPLE, "is_default": False}), **WINDOW_RESPONSES},
)
def put_window(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    quarter: Annotated[Quarter, Depends(_quarter)],
    body: Annotated[
        WindowIn,
        Body(
            openapi_examples={
                "q2": {
                    "value": {
                        "opens_at": "2023-07-01T00:00:00+08:00",
                        "due_at": "2023-07-31T00:00:00+08:00",
                        "locks_at": "2023-08-15T00:00:00+08:00",
                    }
                }
            }
        ),
    ],
) -> WindowRead:
    with denials(request, actor, "window.manage", "submission_window", str(quarter)):
        return windows.set_window(session, actor, quarter=quarter, window=body)


@router.get(
    "/completeness",
    response_model=CompletenessReport,
    summary="上报完整性 / completeness",
    responses={
        200: example(
            {
                "quarter": "2023Q2",
                "province_code": "330000",
                "hospitals_expected": 2,
                "hospitals_received": 1,
                "hospitals_approved": 0,
                "on_time": 1,
                "late": 0,
                "missing": 1,
                "hospitals": [],
                "indicators": [],
            }
        ),
        **BAD_PARAMETERS,
    },
)
def get_completeness(
    actor: CurrentActor,
    session: DbSession,
    quarter: Annotated[Quarter, Depends(_quarter_query)],
    province_code: Province = None,
) -> CompletenessReport:
    return completeness.completeness(session, actor, quarter=quarter, province_code=province_code)


APPLICABILITY_EXAMPLE = {
    "hospital_id": 101,
    "goal": "NIT-2023-IV",
    "indicator": None,
    "status": "not_applicable",
    "reason": "本院无手术科室 / no surgical department",
    "set_by": "zj-admin",
    "set_at": "2023-06-01T09:00:00+08:00",
}


@router.get(
    "/hospitals/{hospital_id}/applicability",
    response_model=list[ApplicabilityRead],
    summary="本院需上报的目标 / what the hospital must report",
    responses={200: example([APPLICABILITY_EXAMPLE]), **NOT_FOUND, **BAD_PARAMETERS},
)
def get_applicability(
    actor: CurrentActor, session: DbSession, hospital_id: HospitalId
) -> list[ApplicabilityRead]:
    return applicability.list_applicability(session, actor, hospital_id=hospital_id)


@router.put(
    "/hospitals/{hospital_id}/applicability",
    response_model=ApplicabilityRead,
    summary="设置需上报 / 不适用 / mark required or not applicable",
    responses={200: example(APPLICABILITY_EXAMPLE), **APPLICABILITY_RESPONSES, **NOT_FOUND},
)
def put_applicability(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    hospital_id: HospitalId,
    body: Annotated[
        ApplicabilityIn,
        Body(
            openapi_examples={
                "exempt": {
                    "value": {
                        "goal": "NIT-2023-IV",
                        "status": "not_applicable",
                        "reason": "本院无手术科室 / no surgical department",
                    }
                }
            }
        ),
    ],
) -> ApplicabilityRead:
    with denials(request, actor, "review.decide", "indicator_applicability", hospital_id):
        return applicability.set_applicability(session, actor, hospital_id=hospital_id, item=body)
