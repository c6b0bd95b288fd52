"""``/api/v1/qc-centers``: national and provincial QC centers (managed by national admins)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import (
    E409_QC_CENTER,
    QC_CENTER,
    QC_CENTER_UPDATED,
    QC_CENTERS,
    body_examples,
    denied,
    ok,
)
from platform_api.routers.registry import BAD_PARAMETERS, NOT_FOUND, denials, write_responses
from services.core.actor import Role
from services.identity.permissions import require
from services.registry import qc_centers
from services.registry.schemas import QcCenterCreate, QcCenterRead, QcCenterUpdate

router = APIRouter(prefix="/api/v1/qc-centers", tags=["registry"])
READ, WRITE = "registry.read", "registry.qc_center.write"
WRITE_RESPONSES = write_responses(denied(WRITE, Role.PROVINCIAL_ADMIN, province="330000"), E409_QC_CENTER)


@router.get(
    "",
    response_model=list[QcCenterRead],
    summary="质控中心列表 / list QC centers",
    responses={200: ok(QC_CENTERS), **BAD_PARAMETERS},
)
def list_qc_centers(
    session: DbSession,
    actor: CurrentActor,
    level: Literal["national", "provincial"] | None = None,
    province_code: Annotated[str | None, Query(pattern=r"^[1-9]\d0000$")] = None,
    specialty_code: str | None = None,
) -> list:
    require(actor, READ)
    return qc_centers.list_qc_centers(
        session, actor, level=level, province_code=province_code, specialty_code=specialty_code
    )


@router.post(
    "",
    response_model=QcCenterRead,
    status_code=201,
    responses={201: ok(QC_CENTER, "已设立 / created"), **WRITE_RESPONSES},
    summary="设立质控中心 / create a QC center",
    description="综合（医政）中心 specialty_code 为空，专业中心取自专业目录 / a general center has no "
    "specialty_code; a specialty center uses a code of the specialty catalog.",
)
def create_qc_center(  # noqa: ANN201
    data: Annotated[
        QcCenterCreate,
        Body(
            openapi_examples=body_examples(
                specialty=(
                    "省级专业质控中心 / provincial specialty center",
                    {
                        "level": "provincial",
                        "province_code": "330000",
                        "specialty_code": "icu",
                        "name": "浙江省重症医学质控中心",
                    },
                ),
                general=(
                    "国家级综合中心 / national general center",
                    {"level": "national", "name": "国家医疗质量管理与控制中心（医政）"},
                ),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "qc_center.create", "qc_center"):
        require(actor, WRITE)
        return qc_centers.create_qc_center(session, actor, data=data)


@router.get(
    "/{qc_center_id}",
    response_model=QcCenterRead,
    responses={200: ok(QC_CENTER), **NOT_FOUND, **BAD_PARAMETERS},
    summary="质控中心详情 / one QC center",
)
def get_qc_center(qc_center_id: int, session: DbSession, actor: CurrentActor):  # noqa: ANN201
    require(actor, READ)
    return qc_centers.get_qc_center(session, actor, qc_center_id=qc_center_id)


@router.patch(
    "/{qc_center_id}",
    response_model=QcCenterRead,
    responses={200: ok(QC_CENTER_UPDATED), **NOT_FOUND, **WRITE_RESPONSES},
    summary="修改质控中心 / update a QC center",
)
def update_qc_center(  # noqa: ANN201
    qc_center_id: int,
    data: Annotated[
        QcCenterUpdate,
        Body(
            openapi_examples=body_examples(
                rename=(
                    "更名 / rename",
                    {"name": "浙江省重症医学医疗质量控制中心", "reason": "更名 / renamed"},
                ),
            )
        ),
    ],
    session: DbSession,
    actor: CurrentActor,
    request: Request,
):
    with denials(request, actor, "qc_center.update", "qc_center", qc_center_id):
        require(actor, WRITE)
        return qc_centers.update_qc_center(session, actor, qc_center_id=qc_center_id, data=data)
