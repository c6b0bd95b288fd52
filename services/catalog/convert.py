"""A validated catalog file as read models (the same shape the database queries return), so files
can be diffed before they are published and pure tests need no database."""

from __future__ import annotations

from services.catalog.fileformat import CatalogFile, EdgeSpec, IndicatorSpec, RetiredSpec
from services.catalog.known import KnownCatalog
from services.catalog.schemas import (
    CatalogRead,
    EdgeRead,
    GoalRead,
    IndicatorRead,
    SourceRead,
    SpecialtyRead,
)


def indicator_seq(code: str) -> int:
    return int(code.rsplit(".", 1)[1])


def _edge(edge: EdgeSpec, to_code: str, year: int, years: dict[str, int]) -> EdgeRead:
    return EdgeRead(
        from_code=edge.from_,
        from_year=years.get(edge.from_) if edge.from_ else None,
        to_code=to_code,
        to_year=year,
        kinds=list(edge.kinds),
        comparability=edge.comparability,
        reason=edge.reason,
        reason_en=edge.reason_en,
        verification=edge.verification,
        sources=list(edge.sources or []),
    )


def _ended(r: RetiredSpec, code: str, year: int, years: dict[str, int]) -> EdgeRead:
    """A retirement, or a move to a specialty goal not known yet (an edge with no target)."""
    return EdgeRead(
        from_code=code,
        from_year=years.get(code),
        to_code=None,
        to_year=year,
        kinds=["moved_to_specialty"] if r.moved_to_specialty else ["retired"],
        comparability=None,
        reason=r.reason,
        reason_en=r.reason_en,
        verification=r.verification,
        sources=list(r.sources or []),
        destination=r.destination if r.moved_to_specialty else None,
    )


def retired_edges(catalog: CatalogFile, known: KnownCatalog) -> list[EdgeRead]:
    """Explicit retirements (and moves with an unknown destination), plus the indicators of every
    such goal (they end with their goal)."""
    years = _years(known)
    edges = []
    for r in catalog.retired.goals:
        edges.append(_ended(r, r.code, catalog.year, years))
        for ind in sorted(
            (i.code for i in known.indicators.values() if i.goal_code == r.code and not i.withdrawn),
            key=indicator_seq,
        ):
            edges.append(_ended(r, ind, catalog.year, years))
    for r in catalog.retired.indicators:
        edges.append(_ended(r, r.code, catalog.year, years))
    return edges


def _years(known: KnownCatalog) -> dict[str, int]:
    years = {code: g.year for code, g in known.goals.items()}
    years.update({code: i.year for code, i in known.indicators.items()})
    return years


def _indicator(i: IndicatorSpec, year: int, years: dict[str, int]) -> IndicatorRead:
    return IndicatorRead(
        code=i.code,
        seq=indicator_seq(i.code),
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
        source_note=i.source_note or "",
        lineage=[_edge(e, i.code, year, years) for e in i.lineage],
    )


def catalog_read_from_file(catalog: CatalogFile, known: KnownCatalog | None = None) -> CatalogRead:
    known = known or KnownCatalog()
    years = _years(known)
    goals = [
        GoalRead(
            code=g.code,
            code_as_published=g.code_as_published,
            list=g.list,
            number=g.number,
            title=g.title,
            title_en=g.title_en,
            summary=g.summary,
            direction=g.direction,
            owners=list(g.owners),
            code_inferred=g.code_inferred,
            verification=g.verification,
            sources=list(g.sources or []),
            core_strategies=list(g.core_strategies or []),
            lineage=[_edge(e, g.code, catalog.year, years) for e in g.lineage],
            indicators=[_indicator(i, catalog.year, years) for i in g.indicators],
        )
        for g in catalog.goals
    ]
    previous = known.previous_year(catalog.year)
    linked = {e.from_ for g in catalog.goals for e in g.lineage if e.from_}
    pending = (
        [
            g.code
            for g in sorted(known.goals_of(previous), key=lambda g: g.number)
            if g.list == "specialty" and g.code not in linked
        ]
        if catalog.specialty_list == "pending" and previous is not None
        else []
    )
    return CatalogRead(
        year=catalog.year,
        revision=catalog.revision,
        revision_reason=catalog.revision_reason,
        revision_reason_en=catalog.revision_reason_en,
        file_format=catalog.format,
        title=catalog.title,
        source=catalog.source,
        specialty_list=catalog.specialty_list,
        sources=[SourceRead(id=k, **v.model_dump()) for k, v in catalog.sources.items()],
        specialties=[SpecialtyRead.model_validate(s.model_dump()) for s in catalog.specialties],
        goals=goals,
        retired=retired_edges(catalog, known),
        pending=pending,
    )
