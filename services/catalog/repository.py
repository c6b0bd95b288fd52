"""Catalog reads from the database (public tables: no tenant scope applies)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from services.catalog.known import KnownCatalog, KnownGoal, KnownIndicator, KnownSpecialty
from services.catalog.schemas import (
    CatalogRead,
    EdgeRead,
    GoalRead,
    IndicatorRead,
    RevisionRead,
    SourceRead,
    SpecialtyRead,
)
from services.core.errors import NotFound
from services.models.catalog import (
    CatalogRevision,
    CatalogYear,
    Goal,
    GoalLineage,
    GoalOwner,
    Indicator,
    IndicatorLineage,
    Specialty,
)

# The two lineage tables (goals, indicators) share their columns; these name what the helpers take.
_LineageModel = type[GoalLineage] | type[IndicatorLineage]
_NodeModel = type[Goal] | type[Indicator]
_EndColumn = InstrumentedAttribute[int | None]


def published_years(session: Session) -> list[int]:
    return list(session.scalars(select(CatalogYear.year).order_by(CatalogYear.year)))


def known_from_db(session: Session) -> KnownCatalog:
    known = KnownCatalog()
    for header in session.scalars(select(CatalogYear)):
        known.revisions[header.year] = header.revision
        if header.specialty_list == "pending":
            known.pending_years.add(header.year)
    for g in session.scalars(select(Goal)):
        known.goals[g.code] = KnownGoal(g.code, g.year, g.list, g.number, g.direction)
    rows = session.execute(
        select(
            Indicator.code, Indicator.year, Goal.code, Indicator.direction, Indicator.withdrawn_revision
        ).join(Goal)
    )
    for code, year, goal_code, direction, withdrawn in rows:
        known.indicators[code] = KnownIndicator(code, year, goal_code, direction, withdrawn is not None)
    for s in session.scalars(select(Specialty)):
        known.specialties[s.code] = KnownSpecialty(s.code, s.seq, s.name, s.name_en)
    lineages: tuple[tuple[_LineageModel, _NodeModel, _EndColumn, _EndColumn], ...] = (
        (GoalLineage, Goal, GoalLineage.from_goal_id, GoalLineage.to_goal_id),
        (IndicatorLineage, Indicator, IndicatorLineage.from_indicator_id, IndicatorLineage.to_indicator_id),
    )
    for model, table, from_col, to_col in lineages:
        src = aliased(table)
        edges = session.execute(
            select(src.code, model.to_year, model.kinds, to_col.is_(None)).join(model, from_col == src.id)
        )
        for code, to_year, kinds, open_end in edges:
            if not open_end:
                known.continued.add(code)
            elif "moved_to_specialty" in kinds:
                known.moved_unknown[code] = to_year
            else:
                known.retired[code] = to_year
    return known


def _edge_select(
    model: _LineageModel, table: _NodeModel, from_col: _EndColumn, to_col: _EndColumn
) -> Select[*tuple[Any, ...]]:
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
            model.verification,
            model.sources,
            model.destination,
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


def _edge_row(row: Row[*tuple[Any, ...]]) -> EdgeRead:
    from_code, from_year, to_code, to_year, kinds, comparability, reason, reason_en, *marks = row
    verification, sources, destination = marks
    return EdgeRead(
        from_code=from_code,
        from_year=from_year,
        to_code=to_code,
        to_year=to_year,
        kinds=list(kinds),
        comparability=comparability,
        reason=reason,
        reason_en=reason_en,
        verification=verification,
        sources=list(sources or []),
        destination=destination,
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
    withdrawn: list[Indicator] = []
    for ind in session.scalars(select(Indicator).where(Indicator.year == year).order_by(Indicator.seq)):
        (withdrawn if ind.withdrawn_revision is not None else indicators[ind.goal_id]).append(ind)
    edges = goal_edges(session, to_years=[year]) + indicator_edges(session, to_years=[year])
    incoming: dict[str, list[EdgeRead]] = defaultdict(list)
    for e in edges:
        if e.to_code:
            incoming[e.to_code].append(e)
    used = {c for codes in owners.values() for c in codes}
    specialties = session.scalars(select(Specialty).where(Specialty.code.in_(used)).order_by(Specialty.seq))
    revisions = list(
        session.scalars(
            select(CatalogRevision).where(CatalogRevision.year == year).order_by(CatalogRevision.revision)
        )
    )
    current = next((r for r in revisions if r.revision == header.revision), None)
    return CatalogRead(
        year=year,
        revision=header.revision,
        revision_reason=current.reason if current else "",
        revision_reason_en=current.reason_en if current else "",
        file_format=header.format,
        title=header.title,
        source=header.source,
        file_sha256=header.file_sha256,
        published_at=header.published_at,
        published_by=header.published_by,
        revised_at=header.revised_at,
        revised_by=header.revised_by,
        specialty_list=header.specialty_list,
        sources=[SourceRead(id=k, **v) for k, v in (header.sources or {}).items()],
        specialties=[SpecialtyRead.model_validate(s) for s in specialties],
        goals=[_goal_read(g, owners[g.id], indicators[g.id], incoming) for g in goals],
        retired=[e for e in edges if e.to_code is None],
        pending=_pending(session, header),
        withdrawn=[_indicator_read(i, incoming) for i in withdrawn],
        revisions=[RevisionRead.model_validate(r) for r in revisions],
    )


def _pending(session: Session, header: CatalogYear) -> list[str]:
    """The previous year's specialty goals with no relation into a year whose specialty list is pending."""
    if header.specialty_list != "pending":
        return []
    previous = session.scalar(select(func.max(CatalogYear.year)).where(CatalogYear.year < header.year))
    if previous is None:
        return []
    related = select(GoalLineage.from_goal_id).where(
        GoalLineage.to_year == header.year, GoalLineage.from_goal_id.is_not(None)
    )
    rows = session.execute(
        select(Goal.code, Goal.number)
        .where(Goal.year == previous, Goal.list == "specialty", Goal.id.not_in(related))
        .order_by(Goal.number)
    )
    return [code for code, _ in rows]


def _indicator_read(i: Indicator, incoming: dict[str, Any]) -> IndicatorRead:
    return IndicatorRead(
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
        verification=i.verification,
        sources=list(i.sources or []),
        source_note=i.source_note,
        lineage=incoming[i.code],
        withdrawn_revision=i.withdrawn_revision,
        withdrawn_reason=i.withdrawn_reason,
        withdrawn_reason_en=i.withdrawn_reason_en,
        replaced_by=list(i.replaced_by or []),
    )


def _goal_read(
    goal: Goal, owners: list[str], indicators: list[Indicator], incoming: dict[str, Any]
) -> GoalRead:
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
        code_inferred=goal.code_inferred,
        verification=goal.verification,
        sources=list(goal.sources or []),
        core_strategies=list(goal.core_strategies or []),
        lineage=incoming[goal.code],
        indicators=[_indicator_read(i, incoming) for i in indicators],
    )
