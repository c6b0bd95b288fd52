"""``/api/v1/hospitals``: the hospital registry (provincial admins manage their province's hospitals)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import (
    E409_CREDIT_CODE,
    HOSPITAL,
    HOSPITAL_CREATE_IN,
    HOSPITAL_CREATED,
    HOSPITAL_DEACTIVATED,
    HOSPITAL_UPDATED,
    body_examples,
    denied,
    ok,
)
from platform_api.routers.registry import (
    BAD_PARAMETERS,
    INVALID_DATA,
    NOT_FOUND,
    denials,
    forbidden,
    write_responses,
)
from services.core.actor import Role
from services.identity.permissions import require
from services.registry import hospitals
from services.registry.schemas import HospitalCreate, HospitalDeactivate, HospitalRead, HospitalUpdate

router = APIRouter(prefix="/api/v1/hospitals", tags=["registry"])
READ, WRITE = "registry.read", "registry.hospital.write"
REFUSED = denied(WRITE, Role.PROVINCIAL_ANALYST, province="330000")
WRITE_RESPONSES = write_responses(REFUSED, E409_CREDIT_CODE)
DEACTIVATE_RESPONSES = {**forbidden(REFUSED), **INVALID_DATA}


@router.get(
    "",
    response_model=list[HospitalRead],
    summary="医院列表 / list hospitals in your scope",
    description="按 ID 排序，limit/offset 分页；省级账号只看到本省 / ordered by id, paged with limit/offset; "
    "provincial accounts see their own province only.",
    responses={200: ok([HOSPITAL]), **BAD_PARAMETERS},
)
def list_hospitals(
    session: DbSession,
    actor: CurrentActor,
    active: bool | None = None,
    prefecture_code: Annotated[str | None, Query(pattern=r"^\d{6}$", examples=["330100"])] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list:
    require(actor, READ)
    return hospitals.list_hospitals(
        session, actor, active=active, prefecture_code=prefecture_code, limit=limit, offset=offset
    )


@router.post(
    "",
    response_model=HospitalRead,
    status_code=201,
    responses={201: ok(HOSPITAL_CREATED, "已登记 / registered"), **WRITE_RESPONSES},
    summary="登记医院 / register a hospital",
    description="校验统一社会信用代码（GB 32100）与地市归属 / checks the credit code and that the prefecture "
    "lies in the province. 省级管理员只能在本省登记 / provincial admins register in their own province.",
)
def create_hospital(  # noqa: ANN201
    data: Annotated[
        HospitalCreate,
        Body(
            openapi_examples=body_examples(
                own_province=("本省登记（省级管理员）/ in your own province", HOSPITAL_CREATE_IN),
                national=(
                    "写明省份（国家级管理员）/ naming the province (national admins)",
                    {"province_code": "330000", **HOSPITAL_CREATE_IN},
                ),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "hospital.create", "hospital"):
        require(actor, WRITE)
        return hospitals.create_hospital(session, actor, data=data)


@router.get(
    "/{hospital_id}",
    response_model=HospitalRead,
    summary="医院详情 / one hospital",
    responses={200: ok(HOSPITAL), **NOT_FOUND, **BAD_PARAMETERS},
)
def get_hospital(hospital_id: int, session: DbSession, actor: CurrentActor):  # noqa: ANN201
    require(actor, READ)
    return hospitals.get_hospital(session, actor, hospital_id=hospital_id)


@router.patch(
    "/{hospital_id}",
    response_model=HospitalRead,
    responses={200: ok(HOSPITAL_UPDATED), **NOT_FOUND, **WRITE_RESPONSES},
    summary="修改医院信息 / update a hospital",
    description="只改所给字段；reason 记入审计日志 / changes only the fields sent; `reason` goes to the audit log.",
)
def update_hospital(  # noqa: ANN201
    hospital_id: int,
    data: Annotated[
        HospitalUpdate,
        Body(
            openapi_examples=body_examples(
                beds=("床位变化 / new bed count", {"beds": 520, "reason": "扩建病房 / new ward opened"}),
                reports_from=(
                    "起报季度提前 / owes quarters from 2023Q1 on",
                    {"reports_from": "2023Q1", "reason": "补报 2023 年数据 / reports 2023 as well"},
                ),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "hospital.update", "hospital", hospital_id):
        require(actor, WRITE)
        return hospitals.update_hospital(session, actor, hospital_id=hospital_id, data=data)


@router.post(
    "/{hospital_id}/deactivate",
    response_model=HospitalRead,
    responses={200: ok(HOSPITAL_DEACTIVATED), **NOT_FOUND, **DEACTIVATE_RESPONSES},
    summary="停用医院（保留历史）/ deactivate a hospital, keeping its history",
)
def deactivate_hospital(  # noqa: ANN201
    hospital_id: int,
    data: Annotated[
        HospitalDeactivate,
        Body(
            openapi_examples=body_examples(
                merged=("医院合并 / merged", {"reason": "医院合并 / merged into another hospital"}),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "hospital.deactivate", "hospital", hospital_id):
        require(actor, WRITE)
        return hospitals.deactivate_hospital(session, actor, hospital_id=hospital_id, reason=data.reason)
