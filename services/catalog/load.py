"""Write a validated catalog file into the tables: a new year, or a revision of a published one.

Both only flush; ``publish`` owns the SAVEPOINT, the revisions table and the audit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.catalog.convert import indicator_seq, retired_edges
from services.catalog.fileformat import CatalogFile, EdgeSpec, GoalSpec, IndicatorSpec
from services.catalog.known import KnownCatalog
from services.catalog.repository import load_catalog
from services.catalog.revision_diff import revision_diff
from services.catalog.schemas import EdgeRead, RevisionDiff
from services.models.catalog import (
    CatalogYear,
    Goal,
    GoalLineage,
    GoalOwner,
    Indicator,
    IndicatorLineage,
    Specialty,
)


def _header(catalog: CatalogFile) -> dict[str, Any]:
    return {
        "title": catalog.title,
        "source": catalog.source,
        "revision": catalog.revision,
        "format": catalog.format,
        "specialty_list": catalog.specialty_list,
        "sources": {k: v.model_dump(exclude_none=True) for k, v in catalog.sources.items()},
    }


def _goal_values(g: GoalSpec) -> dict[str, Any]:
    return {
        "code_as_published": g.code_as_published,
        "list": g.list,
        "number": g.number,
        "title": g.title,
        "title_en": g.title_en,
        "summary": g.summary,
        "direction": g.direction,
        "code_inferred": g.code_inferred,
        "verification": g.verification,
        "sources": list(g.sources),
        "core_strategies": list(g.core_strategies),
    }


def _indicator_values(i: IndicatorSpec) -> dict[str, Any]:
    return {
        "name": i.name,
        "name_en": i.name_en,
        "kind": i.kind,
        "numerator": i.numerator,
        "denominator": i.denominator,
        "unit": i.unit,
        "multiplier": i.multiplier,
        "direction": i.direction,
        "note": i.note,
        "verification": i.verification,
        "sources": list(i.sources),
        "source_note": i.source_note,
    }


def _add_specialties(session: Session, catalog: CatalogFile, known: KnownCatalog) -> None:
    for s in catalog.specialties:
        if s.code not in known.specialties:
            session.add(Specialty(code=s.code, seq=s.seq, name=s.name, name_en=s.name_en))
    session.flush()


def load_year(session: Session, catalog: CatalogFile, known: KnownCatalog, *, published_by: str) -> None:
    """Revision 1 of a year that is not published."""
    session.add(
        CatalogYear(
            year=catalog.year,
            file_sha256="",  # ``publish`` sets it with the revision row
            published_by=published_by,
            **_header(catalog),
        )
    )
    _add_specialties(session, catalog, known)
    goals = {g.code: Goal(year=catalog.year, code=g.code, **_goal_values(g)) for g in catalog.goals}
    session.add_all(goals.values())
    session.flush()
    _write_children(session, catalog, goals, {})
    _write_lineage(session, catalog, known)
    session.flush()


def _write_children(
    session: Session, catalog: CatalogFile, goals: dict[str, Goal], existing: dict[str, Any]
) -> None:
    """Owners (replaced) and indicators (updated in place by code, or added) of every goal."""
    for g in catalog.goals:
        goal = goals[g.code]
        session.execute(delete(GoalOwner).where(GoalOwner.goal_id == goal.id))
        session.add_all(GoalOwner(goal_id=goal.id, specialty_code=o) for o in g.owners)
        for i in g.indicators:
            row = existing.get(i.code)
            if row is None:
                session.add(
                    Indicator(
                        goal_id=goal.id,
                        year=catalog.year,
                        code=i.code,
                        seq=indicator_seq(i.code),
                        **_indicator_values(i),
                    )
                )
            else:
                for key, value in _indicator_values(i).items():
                    setattr(row, key, value)
    session.flush()


def _ids(session: Session, model: type[Goal] | type[Indicator], codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(session.execute(select(model.code, model.id).where(model.code.in_(codes))).all())


def _edge_columns(e: EdgeSpec | EdgeRead, year: int) -> dict[str, Any]:
    return {
        "to_year": year,
        "kinds": list(e.kinds),
        "comparability": e.comparability,
        "reason": e.reason,
        "reason_en": e.reason_en,
        "verification": e.verification,
        "sources": list(e.sources or []),
    }


def _write_lineage(session: Session, catalog: CatalogFile, known: KnownCatalog) -> None:
    """Every relation into the year: incoming edges, retirements and moves with no known target."""
    year = catalog.year
    ended = retired_edges(catalog, known)
    goal_codes = {e.from_ for g in catalog.goals for e in g.lineage if e.from_} | {
        g.code for g in catalog.goals
    }
    ind_codes = {e.from_ for g in catalog.goals for i in g.indicators for e in i.lineage if e.from_}
    ind_codes |= {i.code for g in catalog.goals for i in g.indicators}
    ended_codes = {r.from_code for r in ended if r.from_code}  # a retirement always names what ended
    goal_ids = _ids(session, Goal, goal_codes | {c for c in ended_codes if "." not in c})
    ind_ids = _ids(session, Indicator, ind_codes | {c for c in ended_codes if "." in c})
    for g in catalog.goals:
        for e in g.lineage:
            session.add(
                GoalLineage(
                    from_goal_id=goal_ids.get(e.from_) if e.from_ else None,
                    to_goal_id=goal_ids[g.code],
                    **_edge_columns(e, year),
                )
            )
        for i in g.indicators:
            for e in i.lineage:
                session.add(
                    IndicatorLineage(
                        from_indicator_id=ind_ids.get(e.from_) if e.from_ else None,
                        to_indicator_id=ind_ids[i.code],
                        **_edge_columns(e, year),
                    )
                )
    for r in ended:
        assert r.from_code is not None  # a retirement always names what ended
        columns = {**_edge_columns(r, year), "destination": r.destination}
        if "." in r.from_code:
            session.add(
                IndicatorLineage(from_indicator_id=ind_ids[r.from_code], to_indicator_id=None, **columns)
            )
        else:
            session.add(GoalLineage(from_goal_id=goal_ids[r.from_code], to_goal_id=None, **columns))


def revise_year(
    session: Session, catalog: CatalogFile, known: KnownCatalog, *, published_by: str
) -> RevisionDiff:
    """A revision of a published year: goals and indicators updated in place by code, new ones
    added, withdrawn ones marked, the year's incoming lineage replaced. Returns the diff."""
    year = catalog.year
    before = load_catalog(session, year)
    header = session.get(CatalogYear, year)
    assert header is not None
    for key, value in _header(catalog).items():
        setattr(header, key, value)
    header.revised_at, header.revised_by = datetime.now(UTC), published_by
    _add_specialties(session, catalog, known)
    goals = {g.code: g for g in session.scalars(select(Goal).where(Goal.year == year))}
    for g in catalog.goals:
        row = goals.get(g.code)
        if row is None:
            goals[g.code] = row = Goal(year=year, code=g.code, **_goal_values(g))
            session.add(row)
        else:
            for key, value in _goal_values(g).items():
                setattr(row, key, value)
    session.flush()
    existing = {i.code: i for i in session.scalars(select(Indicator).where(Indicator.year == year))}
    _write_children(session, catalog, goals, existing)
    for w in catalog.withdrawn:
        withdrawn = existing[w.code]
        withdrawn.withdrawn_revision = catalog.revision
        withdrawn.withdrawn_reason, withdrawn.withdrawn_reason_en = w.reason, w.reason_en
        withdrawn.replaced_by = list(w.replaced_by)
    session.execute(delete(GoalLineage).where(GoalLineage.to_year == year))
    session.execute(delete(IndicatorLineage).where(IndicatorLineage.to_year == year))
    session.flush()
    _write_lineage(session, catalog, known)
    session.flush()
    session.expire_all()
    return revision_diff(session, before, load_catalog(session, year))
