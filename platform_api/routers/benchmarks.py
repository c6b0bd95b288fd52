"""``/api/v1/benchmarks``, ``/laggards``, ``/hospitals/{id}/yoy``, ``/hospitals/{id}/early-warning``, ``/yoy`` and ``/flags/{quarter}/freeze``.

Thin: parse, call one service, render (JSON, or CSV / XLSX with ``format=``). Every answer is
scoped by the caller's role; a scope or hospital outside it answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import (
    BENCHMARK,
    BENCHMARK_CSV,
    BINARY,
    E403_FREEZE,
    E409_FROZEN,
    FILE_NOTE,
    FLAG_SNAPSHOT,
    HOSPITAL_EARLY_WARNING,
    HOSPITAL_YOY,
    LAGGARDS,
    LAGGARDS_CSV,
    SCOPE_YOY,
    TEXT,
    XLSX,
    Responses,
    denied,
    described_by,
    error,
    ok,
)
from platform_api.routers.registry import BAD_PARAMETERS, INVALID_DATA, NOT_FOUND, forbidden
from services.benchmark import benchmarks as benchmark_service
from services.benchmark import early_warning, exports, laggards, snapshots, views, yoy
from services.core.actor import Role
from services.core.errors import ValidationFailed
from services.core.quarter import Quarter

router = APIRouter(prefix="/api/v1", tags=["benchmarks"])

Format = Literal["json", "csv", "xlsx"]
ScopeParam = Annotated[
    str | None,
    Query(
        examples=["province:330000"],
        description="province:330000 | network:12 | peer:三级综合@330000 | nation（默认：本省 / default: own province）",
    ),
]
QuarterParam = Annotated[str, Query(examples=["2023Q3"], description="YYYYQn")]


READ_REFUSED = denied(
    "benchmark.read", Role.HOSPITAL_SYSTEM, province="330000", hospital_id=101, client_id="his"
)
READ_ERRORS: Responses = {**NOT_FOUND, **forbidden(READ_REFUSED), **BAD_PARAMETERS}


def table(example: dict, csv: str, title: str) -> dict:
    """format=json (the example), csv (its first lines) or xlsx (the same table as a workbook)."""
    return {
        200: {
            "description": f"format=json | csv | xlsx；CSV {FILE_NOTE}",
            "content": {
                "application/json": {"schema": described_by(example, title), "example": example},
                "text/csv": {"schema": TEXT, "example": csv},
                XLSX: {"schema": BINARY},
            },
        }
    }


class FlagSnapshotRead(BaseModel):
    snapshot_id: int
    scope: str
    quarter: str
    data_version: int
    data_hash: str
    values_used: int
    min_denominator: int
    rules: dict
    trigger: str
    created_by: str


def parse_quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), problems=[{"field": "quarter", "problem": "use YYYYQn, e.g. 2023Q3"}]
        ) from exc


def file_response(rows: list[dict], columns, fmt: str, *, name: str, meta: dict) -> Response:  # noqa: ANN001
    body, media_type = exports.export(rows, columns, fmt, sheet=name, meta=meta)
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )


@router.get(
    "/benchmarks",
    summary="指标对标 / benchmark of indicators in a scope",
    description="合并率、分位数、漏斗图控制限与每家医院的信号；默认只用审核通过的数据 / pooled rate, "
    "percentiles, funnel limits and each hospital's signal; approved data only unless "
    "include_submitted.",
    responses={**table(BENCHMARK, BENCHMARK_CSV, "BenchmarkReport"), **READ_ERRORS},
)
def get_benchmarks(
    session: DbSession,
    actor: CurrentActor,
    quarter: QuarterParam,
    scope: ScopeParam = None,
    indicator: Annotated[str | None, Query(examples=["NIT-2023-I.1"])] = None,
    include_submitted: bool = False,
    overdispersion: Annotated[
        bool | None,
        Query(
            description="过度离散校正：不填 = 质控中心设置（默认数据显示过度离散时校正）；true / false = 强制 / "
            "over-dispersion: unset = the QC center's setting (by default adjusted when the data show it); "
            "true / false = adjust / do not"
        ),
    ] = None,
    format: Format = "json",
):
    q = parse_quarter(quarter)
    report = benchmark_service.benchmark(
        session,
        actor,
        quarter=q,
        scope=scope,
        indicator=indicator,
        include_submitted=include_submitted,
        overdispersion=overdispersion,
    )
    if format == "json":
        return views.report_json(report)
    return file_response(
        views.table_rows(report),
        views.ROW_COLUMNS,
        format,
        name=f"benchmark-{q}",
        meta=views.report_meta(report),
    )


@router.get(
    "/laggards",
    summary="落后标记 / laggard flags of a scope",
    description="窗口锁定后读冻结快照（frozen=true），否则实时计算；最严重的在前 / the frozen snapshot once "
    "the window locked (frozen=true), computed live otherwise or with live=true; most severe first (alarm, "
    "alert, worst decile, persistent, deteriorating, missing; then the largest |z|).",
    responses={**table(LAGGARDS, LAGGARDS_CSV, "LaggardsReport"), **READ_ERRORS},
)
def get_laggards(
    session: DbSession,
    actor: CurrentActor,
    quarter: QuarterParam,
    scope: ScopeParam = None,
    live: Annotated[bool, Query(description="忽略冻结快照，实时计算 / ignore the frozen snapshot")] = False,
    include_submitted: bool = False,
    format: Format = "json",
):
    q = parse_quarter(quarter)
    data = laggards.laggards(
        session, actor, quarter=q, scope=scope, live=live, include_submitted=include_submitted
    )
    if format == "json":
        return data
    meta = {k: v for k, v in data.items() if k != "flags"}
    return file_response(data["flags"], laggards.LAGGARD_COLUMNS, format, name=f"laggards-{q}", meta=meta)


@router.get(
    "/hospitals/{hospital_id}/yoy",
    summary="医院同比 / a hospital's year-over-year changes",
    description="与上年同季度比较，沿目录谱系找到上年指标并给出可比性 / against the same quarter a year "
    "earlier, following catalog lineage, with comparability and a verdict.",
    responses={200: ok(HOSPITAL_YOY), **READ_ERRORS},
)
def get_hospital_yoy(
    session: DbSession,
    actor: CurrentActor,
    hospital_id: Annotated[int, Path()],
    quarter: QuarterParam,
    include_submitted: bool = False,
) -> dict:
    return yoy.hospital_yoy(
        session,
        actor,
        hospital_id=hospital_id,
        quarter=parse_quarter(quarter),
        include_submitted=include_submitted,
    )


@router.get(
    "/hospitals/{hospital_id}/early-warning",
    summary="医院早期预警序列 / a hospital's early-warning series (CUSUM, EWMA)",
    description="每个指标最近 12 个季度的风险调整 CUSUM（控制限 h）与 O/E 的 EWMA（控制限），沿目录谱系；"
    "另一租户的医院为 404 / each indicator's risk-adjusted CUSUM (limit h) and EWMA of O/E (limits) "
    "over the last 12 quarters, following catalog lineage; another tenant's hospital is not found.",
    responses={200: ok(HOSPITAL_EARLY_WARNING), **READ_ERRORS},
)
def get_hospital_early_warning(
    session: DbSession,
    actor: CurrentActor,
    hospital_id: Annotated[int, Path()],
    quarter: QuarterParam,
    include_submitted: bool = False,
) -> dict:
    return early_warning.hospital_early_warning(
        session,
        actor,
        hospital_id=hospital_id,
        quarter=parse_quarter(quarter),
        include_submitted=include_submitted,
    )


@router.get(
    "/yoy",
    summary="范围合并率同比 / year over year of a scope's pooled rates",
    responses={200: ok(SCOPE_YOY), **READ_ERRORS},
)
def get_scope_yoy(
    session: DbSession,
    actor: CurrentActor,
    quarter: QuarterParam,
    scope: ScopeParam = None,
    include_submitted: bool = False,
) -> dict:
    return yoy.scope_yoy(
        session, actor, quarter=parse_quarter(quarter), scope=scope, include_submitted=include_submitted
    )


@router.post(
    "/flags/{quarter}/freeze",
    status_code=201,
    summary="冻结落后标记 / freeze the flags of a quarter",
    response_model=FlagSnapshotRead,
    description="手动冻结一个范围与季度的标记（锁定窗口时自动冻结）/ freeze a scope's flags by hand "
    "(they freeze by themselves when the window locks).",
    responses={
        201: ok(FLAG_SNAPSHOT, "已冻结 / frozen"),
        **NOT_FOUND,
        **forbidden(E403_FREEZE, READ_REFUSED),
        **INVALID_DATA,
        409: error("已冻结 / already frozen", E409_FROZEN),
    },
)
def freeze_flags(
    session: DbSession,
    actor: CurrentActor,
    quarter: Annotated[str, Path(examples=["2023Q3"])],
    scope: ScopeParam = None,
) -> dict:
    snap = snapshots.freeze(session, actor, quarter=parse_quarter(quarter), scope=scope)
    return {
        "snapshot_id": snap.id,
        "scope": snap.scope,
        "quarter": snap.quarter,
        "data_version": snap.data_version,
        "data_hash": snap.data_hash,
        "values_used": snap.values_used,
        "min_denominator": snap.min_denominator,
        "rules": snap.rules,
        "trigger": snap.trigger,
        "created_by": snap.created_by,
    }
