"""``/api/v1/catalog``: the public goal catalog (no login) — the published years with their current
revision, a year, a year's revisions (with reasons and diffs), and the diff between years."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from platform_api.deps import PublicSession
from platform_api.openapi_examples import (
    CATALOG_DIFF,
    CATALOG_REVISIONS,
    CATALOG_YEAR,
    CATALOG_YEARS,
    E404_CATALOG,
    E422_CATALOG,
    E422_PARAMS,
    Responses,
    error,
    ok,
)
from services.catalog import queries
from services.catalog.schemas import CatalogDiff, CatalogRead, RevisionRead, YearRead

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])

ERRORS: Responses = {
    404: error("年度未发布 / year not published", E404_CATALOG),
    422: error(
        "参数错误（如 from 不早于 to）/ bad parameters (e.g. `from` not before `to`)",
        E422_CATALOG,
        E422_PARAMS,
    ),
}
Year = Annotated[int, Path(ge=2000, le=2100, examples=[2023], description="目录年度 / catalog year")]


@router.get(
    "",
    response_model=list[YearRead],
    responses={200: ok(CATALOG_YEARS)},
    summary="已发布年度及其当前版本 / published years and their current revision",
)
def catalog_years(session: PublicSession) -> list[YearRead]:
    return queries.list_years(session)


# Declared before /{year} so "diff" is never read as a year.
@router.get(
    "/diff",
    response_model=CatalogDiff,
    responses={200: ok(CATALOG_DIFF), **ERRORS},
    summary="两个年度之间的目录变化 / catalog changes between two years",
    description="沿谱系（含跨越中断年度的 reinstated）列出新增、退出、调整序号、重新定义、移入/移出专业目标和方向变化，"
    "并附各关系的可比性与理由 / added, retired, renumbered, redefined, moved and direction-changed goals with "
    "indicator-level changes, comparability and reasons, following lineage across skipped years.",
)
def catalog_diff(
    session: PublicSession,
    from_year: Annotated[int, Query(alias="from", ge=2000, le=2100, examples=[2022])],
    to_year: Annotated[int, Query(alias="to", ge=2000, le=2100, examples=[2023])],
) -> CatalogDiff:
    return queries.diff_years(session, from_year, to_year)


@router.get(
    "/{year}",
    response_model=CatalogRead,
    responses={200: ok(CATALOG_YEAR), **ERRORS},
    summary="一个年度的目标目录 / the goal catalog of one year",
    description="当前版本的目标（核心策略、核实标记、来源）、指标（分子、分母、单位、方向、来源）、负责专业、"
    "来源谱系、退出与去向待定条目、待定的专业目标、已撤销指标和版本记录 / the current revision: goals (core "
    "strategies, verification marks, sources), indicators (numerator, denominator, unit, direction, sources), "
    "owning specialties, incoming lineage, retirements and moves with an unknown destination, pending "
    "specialty goals, withdrawn indicators and the revision history.",
)
def catalog_of_year(year: Year, session: PublicSession) -> CatalogRead:
    return queries.get_catalog(session, year)


@router.get(
    "/{year}/revisions",
    response_model=list[RevisionRead],
    responses={200: ok(CATALOG_REVISIONS), 404: ERRORS[404]},
    summary="一个年度的全部版本 / every revision of a year",
    description="每一版的文件 sha256、修订原因及与上一版的差异（新增/修改/撤销的目标与指标、谱系变化、"
    "需复核的后续年度谱系）/ each revision's file sha256, reason and diff against the revision before.",
)
def catalog_revisions(year: Year, session: PublicSession) -> list[RevisionRead]:
    return queries.revisions_of(session, year)
