"""Catalog reads from the database (public tables: no tenant scope applies)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from services.catalog.known import KnownCatalog, KnownGoal, KnownIndicator, KnownSpecialty
from services.catalog.schemas import CatalogRead, EdgeRead, GoalRead, IndicatorRead, SpecialtyRead
from services.core.errors import NotFound
from services.models.catalog import (
    CatalogYear,
    Goal,
    GoalLineage,
    GoalOwner,
    Indicator,
    IndicatorLineage,
    Specialty,
)


def published_years(session: Session) -> list[int]:
    return list(session.scalars(select(CatalogYear.year).order_by(CatalogYear.year)))


def known_from_db(session: Session) -> KnownCatalog:
    known = KnownCatalog()
    for g in session.scalars(select(Goal)):
        known.goals[g.code] = KnownGoal(g.code, g.year, g.list, g.number, g.direction)
    rows = session.execute(select(Indicator.code, Indicator.year, Goal.code, Indicator.direction).join(Goal))
    for code, year, goal_code, direction in rows:
        known.indicators[code] = KnownIndicator(code, year, goal_code, direction)
    for s in session.scalars(select(Specialty)):
        known.specialties[s.code] = KnownSpecialty(s.code, s.seq, s.name, s.name_en)
    src_goal, src_ind = aliased(Goal), aliased(Indicator)
    known.retired |= set(
        session.scalars(
            select(src_goal.code)
            .join(GoalLineage, GoalLineage.from_goal_id == src_goal.id)
            .where(GoalLineage.to_goal_id.is_(None))
        )
    )
    known.retired |= set(
        session.scalars(
            select(src_ind.code)
            .join(IndicatorLineage, IndicatorLineage.from_indicator_id == src_ind.id)
            .where(IndicatorLineage.to_indicator_id.is_(None))
        )
    )
    return known


def _edge_select(model: type, table: type, from_col, to_col) -> Select:  # noqa: ANN001
    src, dst = aliased(table), aliased(table)
    return (
        select(
            src.code,
            src.year,
            dst.code,
            model.to_year,
            model.kinds,
            model.comparability,
            model.reason,
            model.reason_en,
        )
        .select_from(model)
        .outerjoin(src, from_col == src.id)
        .outerjoin(dst, to_col == dst.id)
        .order_by(model.id)
    )


def goal_edges(session: Session, *, to_years: list[int] | None = None) -> list[EdgeRead]:
    stmt = _edge_select(GoalLineage, Goal, GoalLineage.from_goal_id, GoalLineage.to_goal_id)
    if to_years is not None:
        stmt = stmt.where(GoalLineage.to_year.in_(to_years))
    return [_edge_row(r) for r in session.execute(stmt)]


def indicator_edges(session: Session, *, to_years: list[int] | None = None) -> list[EdgeRead]:
    stmt = _edge_select(
        IndicatorLineage, Indicator, IndicatorLineage.from_indicator_id, IndicatorLineage.to_indicator_id
    )
    if to_years is not None:
        stmt = stmt.where(IndicatorLineage.to_year.in_(to_years))
    return [_edge_row(r) for r in session.execute(stmt)]


def _edge_row(row) -> EdgeRead:  # noqa: ANN001
    from_code, from_year, to_code, to_year, kinds, comparability, reason, reason_en = row
    return EdgeRead(
        from_code=from_code,
        from_year=from_year,
        to_code=to_code,
        to_year=to_year,
        kinds=list(kinds),
        comparability=comparability,
        reason=reason,
        reason_en=reason_en,
    )


def load_catalog(session: Session, year: int) -> CatalogRead:
    header = session.get(CatalogYear, year)
    if header is None:
        raise NotFound(f"{year} 年目录尚未发布 / no catalog published for {year}", year=year)
    goals = list(session.scalars(select(Goal).where(Goal.year == year).order_by(Goal.list, Goal.number)))
    owners: dict[int, list[str]] = defaultdict(list)
    for goal_id, code in session.execute(
        select(GoalOwner.goal_id, GoalOwner.specialty_code)
        .join(Goal)
        .where(Goal.year == year)
        .order_by(GoalOwner.specialty_code)
    ):
        owners[goal_id].append(code)
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    for ind in session.scalars(select(Indicator).where(Indicator.year == year).order_by(Indicator.seq)):
        indicators[ind.goal_id].append(ind)
    edges = goal_edges(session, to_years=[year]) + indicator_edges(session, to_years=[year])
    incoming: dict[str, list[EdgeRead]] = defaultdict(list)
    for e in edges:
        if e.to_code:
            incoming[e.to_code].append(e)
    used = {c for codes in owners.values() for c in codes}
    specialties = session.scalars(select(Specialty).where(Specialty.code.in_(used)).order_by(Specialty.seq))
    return CatalogRead(
        year=year,
        title=header.title,
        source=header.source,
        file_sha256=header.file_sha256,
        published_at=header.published_at,
        published_by=header.published_by,
        specialties=[SpecialtyRead.model_validate(s) for s in specialties],
        goals=[_goal_read(g, owners[g.id], indicators[g.id], incoming) for g in goals],
        retired=[e for e in edges if e.to_code is None],
    )


def _goal_read(goal: Goal, owners: list[str], indicators: list[Indicator], incoming: dict) -> GoalRead:
    return GoalRead(
        code=goal.code,
        code_as_published=goal.code_as_published,
        list=goal.list,
        number=goal.number,
        title=goal.title,
        title_en=goal.title_en,
        summary=goal.summary,
        direction=goal.direction,
        owners=owners,
        lineage=incoming[goal.code],
        indicators=[
            IndicatorRead(
                code=i.code,
                seq=i.seq,
                name=i.name,
                name_en=i.name_en,
                kind=i.kind,
                numerator=i.numerator,
                denominator=i.denominator,
                unit=i.unit,
                multiplier=i.multiplier,
                direction=i.direction,
                note=i.note,
                lineage=incoming[i.code],
            )
            for i in indicators
        ],
    )
