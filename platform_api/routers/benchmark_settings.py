"""``/api/v1/qc-centers/{id}/benchmark-settings``, ``…/targets/{indicator}`` and
``…/baselines[/{indicator}]``: a QC center's benchmark rules — minimum denominators (one for every
unit and/or per indicator unit), the flag rule (``limits`` | ``fdr``), over-dispersion (``auto`` |
``off``), funnel targets, and O/E baselines by peer profile. Another province's center answers 404
like a missing one, for reads and writes alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, Field

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import E403_SETTINGS, TARGET, body_examples, ok, race
from platform_api.routers.registry import INVALID_DATA, NOT_FOUND, denials, forbidden, write_responses
from services.benchmark import baselines
from services.benchmark import settings as benchmark_settings
from services.core.schemas import StrictModel

router = APIRouter(prefix="/api/v1/qc-centers/{qc_center_id}", tags=["benchmarks"])
CenterId = Annotated[int, Path(ge=1, description="质控中心 ID / QC center id")]
IndicatorCode = Annotated[str, Path(examples=["NIT-2023-I.1"])]
Minimum = Annotated[int, Field(ge=1, le=1_000_000)]
CHANGE_RESPONSES = {**forbidden(E403_SETTINGS), **INVALID_DATA}

EFFECTIVE = {
    "flag_rule": "limits",
    "flag_rule_source": "default",
    "overdispersion": "off",
    "overdispersion_source": "province:330000",
    "min_denominator_by_unit": {"%": 20, "每千导管日": 1000},
    "settings_source": "province:330000",
}
SETTINGS = {
    "qc_center_id": 2,
    "min_denominator": 20,
    "min_denominator_by_unit": {"每千导管日": 1000},
    "flag_rule": None,
    "overdispersion": "off",
    "updated_by": "8651b61c-1b56-5502-b2f3-b8b9ef4f55e4",
    "effective": EFFECTIVE,
}
BASELINE = {
    "qc_center_id": 2,
    "indicator": "NIT-2023-I.1",
    "year": 2022,
    "scope": "province",
    "profile": "level_type",
    "indicator_code": "NIT-2022-I.1",
    "set_by": "province:330000",
    "profiles": 4,
    "label": "基线：2022 年本省率（NIT-2022-I.1），按级别×类型",
    "label_en": "baseline: 2022 provincial rates (NIT-2022-I.1) by level × type",
    "set_by_user": "8651b61c-1b56-5502-b2f3-b8b9ef4f55e4",
}


class SettingsIn(StrictModel):
    """Only the fields sent change; ``null`` clears a value (the national / platform default applies)."""

    min_denominator: Minimum | None = Field(
        None, examples=[20], description="所有单位的最小分母 / the minimum for every unit without its own"
    )
    min_denominator_by_unit: dict[str, Minimum] | None = Field(
        None,
        examples=[{"每千导管日": 1000}],
        description="按指标单位的最小分母（低于此分母显示但不标记、不排名）/ per indicator unit: shown but "
        "neither flagged nor ranked below it",
    )
    flag_rule: Literal["limits", "fdr"] | None = Field(
        None, description="limits = 漏斗控制限；fdr = Benjamini–Hochberg q 值 / funnel limits or q-values"
    )
    overdispersion: Literal["auto", "off"] | None = Field(
        None,
        description="auto = 数据显示过度离散时校正；off = 不校正 / adjust when the data show it, or never",
    )


class SettingsRead(BaseModel):
    qc_center_id: int
    min_denominator: int | None
    min_denominator_by_unit: dict[str, int]
    flag_rule: str | None
    overdispersion: str | None
    updated_by: str | None = None
    effective: dict = Field(description="本中心范围内生效的规则 / the rules in force for the center's scope")


class TargetIn(StrictModel):
    target: Decimal = Field(ge=0, le=1, examples=["0.75"], description="目标比例 0–1 / target proportion")
    note: str = Field("", max_length=500, examples=["省级年度目标 / provincial annual target"])


class TargetRead(BaseModel):
    qc_center_id: int
    indicator: str
    target: str = Field(description="十进制字符串 / a decimal string")
    note: str


class BaselineIn(StrictModel):
    year: int = Field(
        ge=2000, le=2100, examples=[2022], description="基线年份（早于指标年份）/ an earlier year"
    )
    scope: Literal["national", "province"] = Field(
        examples=["province"], description="全国率或本省率 / national or the province's rates"
    )
    profile: Literal["level_type", "level_type_beds"] = Field(
        "level_type",
        description="同类分组：级别×类型（×床位数段）/ peer profile: level × type (× bed-size band)",
    )


class BaselineRead(BaseModel):
    qc_center_id: int
    indicator: str
    year: int
    scope: str
    profile: str
    indicator_code: str = Field(description="基线年份的指标编码 / the baseline year's indicator")
    set_by: str
    profiles: int
    label: str
    label_en: str
    set_by_user: str


def _settings_answer(session, actor, qc_center_id: int, updated_by: str | None = None) -> dict:  # noqa: ANN001
    answer = benchmark_settings.read_settings(session, actor, qc_center_id=qc_center_id)
    return {**answer, "updated_by": updated_by}


@router.get(
    "/benchmark-settings",
    summary="对标设置 / a QC center's benchmark settings",
    response_model=SettingsRead,
    responses={200: ok(SETTINGS), **NOT_FOUND},
)
def get_settings(actor: CurrentActor, session: DbSession, qc_center_id: CenterId) -> dict:
    return _settings_answer(session, actor, qc_center_id)


@router.put(
    "/benchmark-settings",
    summary="修改对标设置 / change a QC center's benchmark settings",
    description="最小分母（全部单位或按单位）、标记规则、过度离散 / minimum denominators (for every unit or "
    "per unit), the flag rule and over-dispersion; only the fields sent change.",
    response_model=SettingsRead,
    responses={200: ok(SETTINGS), **CHANGE_RESPONSES, **NOT_FOUND},
)
def put_settings(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    qc_center_id: CenterId,
    body: Annotated[
        SettingsIn,
        Body(
            openapi_examples=body_examples(
                twenty=("分母不足 20 不预警 / no flags below 20", {"min_denominator": 20}),
                rules=(
                    "FDR 规则、关闭过度离散校正 / FDR rule, no over-dispersion adjustment",
                    {
                        "flag_rule": "fdr",
                        "overdispersion": "off",
                        "min_denominator_by_unit": {"每千导管日": 1000},
                    },
                ),
            )
        ),
    ],
) -> dict:
    with denials(request, actor, "benchmark.settings", "qc_center", qc_center_id):
        row = benchmark_settings.update_settings(
            session, actor, qc_center_id=qc_center_id, changes=body.model_dump(exclude_unset=True)
        )
    return _settings_answer(session, actor, qc_center_id, row.updated_by)


@router.put(
    "/targets/{indicator}",
    summary="设置指标目标值 / set an indicator's funnel target",
    description="漏斗图以目标值代替合并率为中心线 / the funnel is centred on the target instead of the "
    "pooled rate.",
    response_model=TargetRead,
    responses={
        200: ok(TARGET),
        **write_responses(E403_SETTINGS, race("uq_benchmark_targets_center_indicator")),
        **NOT_FOUND,
    },
)
def put_target(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    qc_center_id: CenterId,
    indicator: IndicatorCode,
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


@router.get(
    "/baselines",
    summary="O/E 基线 / a QC center's O/E baselines",
    response_model=list[BaselineRead],
    responses={200: ok([BASELINE]), **NOT_FOUND},
)
def get_baselines(actor: CurrentActor, session: DbSession, qc_center_id: CenterId) -> list[dict]:
    return baselines.list_baselines(session, actor, qc_center_id=qc_center_id)


@router.put(
    "/baselines/{indicator}",
    summary="开启 O/E（设置基线）/ turn O/E on for an indicator with a baseline",
    description="期望数 = Σ 基线年同类（级别×类型[×床位数段]）率 × 分母；基线率在设置时读取并保存 / expected = "
    "Σ the baseline year's rate of the hospital's peer profile × its denominator; the baseline rates "
    "are read and stored when set. A province may use a national baseline once the national center "
    "has set it for the same indicator, year and profile.",
    response_model=BaselineRead,
    responses={
        200: ok(BASELINE),
        **write_responses(E403_SETTINGS, race("uq_benchmark_baselines_center_indicator")),
        **NOT_FOUND,
    },
)
def put_baseline(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    qc_center_id: CenterId,
    indicator: IndicatorCode,
    body: Annotated[
        BaselineIn,
        Body(
            openapi_examples=body_examples(
                provincial=(
                    "2022 年本省率，按级别×类型 / 2022 provincial rates by level × type",
                    {"year": 2022, "scope": "province", "profile": "level_type"},
                )
            )
        ),
    ],
) -> dict:
    with denials(request, actor, "benchmark.settings", "qc_center", qc_center_id):
        baselines.set_baseline(
            session,
            actor,
            qc_center_id=qc_center_id,
            indicator_code=indicator,
            year=body.year,
            scope=body.scope,
            profile=body.profile,
        )
    found = baselines.list_baselines(session, actor, qc_center_id=qc_center_id)
    return next(b for b in found if b["indicator"] == indicator)


class BaselineRemoved(BaseModel):
    qc_center_id: int
    indicator: str
    removed: bool


@router.delete(
    "/baselines/{indicator}",
    summary="关闭 O/E / turn O/E off for an indicator",
    response_model=BaselineRemoved,
    responses={
        200: ok({"qc_center_id": 2, "indicator": "NIT-2023-I.1", "removed": True}, "已关闭 / turned off"),
        **CHANGE_RESPONSES,
        **NOT_FOUND,
    },
)
def delete_baseline(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    qc_center_id: CenterId,
    indicator: IndicatorCode,
) -> dict:
    with denials(request, actor, "benchmark.settings", "qc_center", qc_center_id):
        baselines.remove_baseline(session, actor, qc_center_id=qc_center_id, indicator_code=indicator)
    return {"qc_center_id": qc_center_id, "indicator": indicator, "removed": True}
