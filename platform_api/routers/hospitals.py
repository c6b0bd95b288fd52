"""``/api/v1/hospitals``: the hospital registry (provincial admins manage their province's hospitals)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.routers.registry import NOT_FOUND, WRITE_RESPONSES, denials
from services.identity.permissions import require
from services.registry import hospitals
from services.registry.schemas import HospitalCreate, HospitalDeactivate, HospitalRead, HospitalUpdate

router = APIRouter(prefix="/api/v1/hospitals", tags=["registry"])
READ, WRITE = "registry.read", "registry.hospital.write"


@router.get("", response_model=list[HospitalRead], summary="医院列表 / list hospitals in your scope")
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
    responses=WRITE_RESPONSES,
    summary="登记医院 / register a hospital",
    description="校验统一社会信用代码（GB 32100）与地市归属 / checks the credit code and that the prefecture "
    "lies in the province. 省级管理员只能在本省登记 / provincial admins register in their own province.",
)
def create_hospital(  # noqa: ANN201
    data: HospitalCreate, session: DbSession, actor: CurrentActor, request: Request
):
    with denials(request, actor, "hospital.create", "hospital"):
        require(actor, WRITE)
        return hospitals.create_hospital(session, actor, data=data)


@router.get(
    "/{hospital_id}", response_model=HospitalRead, responses=NOT_FOUND, summary="医院详情 / one hospital"
)
def get_hospital(hospital_id: int, session: DbSession, actor: CurrentActor):  # noqa: ANN201
    require(actor, READ)
    return hospitals.get_hospital(session, actor, hospital_id=hospital_id)


@router.patch(
    "/{hospital_id}",
    response_model=HospitalRead,
    responses={**NOT_FOUND, **WRITE_RESPONSES},
    summary="修改医院信息 / update a hospital",
)
def update_hospital(  # noqa: ANN201
    hospital_id: int, data: HospitalUpdate, session: DbSession, actor: CurrentActor, request: Request
):
    with denials(request, actor, "hospital.update", "hospital", hospital_id):
        require(actor, WRITE)
        return hospitals.update_hospital(session, actor, hospital_id=hospital_id, data=data)


@router.post(
    "/{hospital_id}/deactivate",
    response_model=HospitalRead,
    responses={**NOT_FOUND, **WRITE_RESPONSES},
    summary="停用医院（保留历史）/ deactivate a hospital, keeping its history",
)
def deactivate_hospital(  # noqa: ANN201
    hospital_id: int, data: HospitalDeactivate, session: DbSession, actor: CurrentActor, request: Request
):
    with denials(request, actor, "hospital.deactivate", "hospital", hospital_id):
        require(actor, WRITE)
        return hospitals.deactivate_hospital(session, actor, hospital_id=hospital_id, reason=data.reason)
