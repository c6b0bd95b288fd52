"""A validated catalog file as read models (the same shape the database queries return), so files
can be diffed before they are published and pure tests need no database."""

from __future__ import annotations

from services.catalog.fileformat import CatalogFile, EdgeSpec
from services.catalog.known import KnownCatalog
from services.catalog.schemas import CatalogRead, EdgeRead, GoalRead, IndicatorRead, SpecialtyRead


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
    )


def retired_edges(catalog: CatalogFile, known: KnownCatalog) -> list[EdgeRead]:
    """Explicit retirements, plus the indicators of every retired goal (retired with their goal)."""
    years = _years(known)
    edges = []
    for r in catalog.retired.goals:
        edges.append(
            EdgeRead(
                from_code=r.code,
                from_year=years.get(r.code),
                to_code=None,
                to_year=catalog.year,
                kinds=["retired"],
                comparability=None,
                reason=r.reason,
                reason_en=r.reason_en,
            )
        )
        for ind in sorted(i.code for i in known.indicators.values() if i.goal_code == r.code):
            edges.append(
                EdgeRead(
                    from_code=ind,
                    from_year=years.get(ind),
                    to_code=None,
                    to_year=catalog.year,
                    kinds=["retired"],
                    comparability=None,
                    reason=r.reason,
                    reason_en=r.reason_en,
                )
            )
    for r in catalog.retired.indicators:
        edges.append(
            EdgeRead(
                from_code=r.code,
                from_year=years.get(r.code),
                to_code=None,
                to_year=catalog.year,
                kinds=["retired"],
                comparability=None,
                reason=r.reason,
                reason_en=r.reason_en,
            )
        )
    return edges


def _years(known: KnownCatalog) -> dict[str, int]:
    years = {code: g.year for code, g in known.goals.items()}
    years.update({code: i.year for code, i in known.indicators.items()})
    return years


def catalog_read_from_file(catalog: CatalogFile, known: KnownCatalog | None = None) -> CatalogRead:
    known = known or KnownCatalog()
    years = _years(known)
    goals = []
    for g in catalog.goals:
        indicators = [
            IndicatorRead(
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
                lineage=[_edge(e, i.code, catalog.year, years) for e in i.lineage],
            )
            for i in g.indicators
        ]
        goals.append(
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
                lineage=[_edge(e, g.code, catalog.year, years) for e in g.lineage],
                indicators=indicators,
            )
        )
    specialties = [SpecialtyRead.model_validate(s.model_dump()) for s in catalog.specialties]
    return CatalogRead(
        year=catalog.year,
        title=catalog.title,
        source=catalog.source,
        specialties=specialties,
        goals=goals,
        retired=retired_edges(catalog, known),
    )
