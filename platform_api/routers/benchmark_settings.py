"""``/api/v1/qc-centers/{id}/benchmark-settings`` and ``…/targets/{indicator}``: a QC center's
minimum denominator (shown but not flagged below it) and optional targets for funnels."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, Field

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import MIN_DENOMINATOR, TARGET, body_examples, ok
from platform_api.routers.registry import NOT_FOUND, WRITE_RESPONSES, denials
from services.benchmark import settings as benchmark_settings
from services.core.schemas import StrictModel

router = APIRouter(prefix="/api/v1/qc-centers/{qc_center_id}", tags=["benchmarks"])
CenterId = Annotated[int, Path(ge=1, description="质控中心 ID / QC center id")]


class MinDenominatorIn(StrictModel):
    min_denominator: int = Field(
        ge=1,
        le=100_000,
        examples=[20],
        description="低于此分母的医院显示但不预警 / shown but not flagged below this",
    )


class TargetIn(StrictModel):
    target: Decimal = Field(ge=0, le=1, examples=["0.75"], description="目标比例 0–1 / target proportion")
    note: str = Field("", max_length=500, examples=["省级年度目标 / provincial annual target"])


class MinDenominatorRead(BaseModel):
    qc_center_id: int
    min_denominator: int
    updated_by: str


class TargetRead(BaseModel):
    qc_center_id: int
    indicator: str
    target: str = Field(description="十进制字符串 / a decimal string")
    note: str


@router.put(
    "/benchmark-settings",
    summary="设置最小分母 / set the minimum denominator",
    response_model=MinDenominatorRead,
    responses={200: ok(MIN_DENOMINATOR), **WRITE_RESPONSES, **NOT_FOUND},
)
def put_min_denominator(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    qc_center_id: CenterId,
    body: Annotated[
        MinDenominatorIn,
        Body(
            openapi_examples=body_examples(
                twenty=("分母不足 20 不预警 / no flags below 20", {"min_denominator": 20})
            )
        ),
    ],
) -> dict:
    with denials(request, actor, "benchmark.settings", "qc_center", qc_center_id):
        row = benchmark_settings.set_min_denominator(
            session, actor, qc_center_id=qc_center_id, value=body.min_denominator
        )
    return {
        "qc_center_id": row.qc_center_id,
        "min_denominator": row.min_denominator,
        "updated_by": row.updated_by,
    }


@router.put(
    "/targets/{indicator}",
    summary="设置指标目标值 / set an indicator's funnel target",
    description="漏斗图以目标值代替合并率为中心线 / the funnel is centred on the target instead of the "
    "pooled rate.",
    response_model=TargetRead,
    responses={200: ok(TARGET), **WRITE_RESPONSES, **NOT_FOUND},
)
def put_target(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    qc_center_id: CenterId,
    indicator: Annotated[str, Path(examples=["NIT-2023-I.1"])],
    body: Annotated[
        TargetIn,
        Body(
            openapi_examples=body_examples(
                provincial=(
                    "省级年度目标 / provincial annual target",
                    {"target": "0.75", "note": "省级年度目标 / provincial annual target"},
                )
            )
        ),
    ],
) -> dict:
    with denials(request, actor, "benchmark.settings", "qc_center", qc_center_id):
        row = benchmark_settings.set_target_for_code(
            session,
            actor,
            qc_center_id=qc_center_id,
            indicator_code=indicator,
            target=body.target,
            note=body.note,
        )
    return {
        "qc_center_id": row.qc_center_id,
        "indicator": indicator,
        "target": str(row.target),
        "note": row.note,
    }
