"""Catalog reads for the API and CLI: a year's catalog, the diff between two years, the export,
and lineage look-ups (successor of an indicator in a later year, paths across skipped years)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.catalog.diff import diff_catalogs
from services.catalog.lineage import follow, outgoing_index, successors
from services.catalog.repository import goal_edges, indicator_edges, load_catalog, published_years
from services.catalog.schemas import CatalogDiff, CatalogRead, EdgeRead, RevisionRead, YearRead
from services.core.errors import NotFound, ValidationFailed
from services.models.catalog import CatalogRevision, CatalogYear, Indicator


def get_catalog(session: Session, year: int) -> CatalogRead:
    """One year's goals, indicators, owners, specialties, incoming lineage and retirements."""
    return load_catalog(session, year)


def list_years(session: Session) -> list[YearRead]:
    """Every published year with its current revision, oldest first."""
    return [
        YearRead.model_validate(y) for y in session.scalars(select(CatalogYear).order_by(CatalogYear.year))
    ]


def revisions_of(session: Session, year: int) -> list[RevisionRead]:
    """Every published revision of ``year`` with its reason and its diff against the one before."""
    rows = list(
        session.scalars(
            select(CatalogRevision).where(CatalogRevision.year == year).order_by(CatalogRevision.revision)
        )
    )
    if not rows:
        raise NotFound(f"{year} 年目录尚未发布 / no catalog published for {year}", year=year)
    return [RevisionRead.model_validate(r) for r in rows]


def diff_years(session: Session, from_year: int, to_year: int) -> CatalogDiff:
    """What changed from ``from_year`` to ``to_year`` (following lineage through the years between)."""
    if from_year >= to_year:
        raise ValidationFailed(
            f"起始年度 {from_year} 必须早于目标年度 {to_year} / from ({from_year}) must be earlier than to ({to_year})",
            problems=[{"field": "from", "problem": "from >= to"}],
        )
    old, new = load_catalog(session, from_year), load_catalog(session, to_year)
    between = [load_catalog(session, y) for y in published_years(session) if from_year < y < to_year]
    return diff_catalogs(old, new, between)


def export_catalog(session: Session, year: int) -> dict[str, Any]:
    """The JSON export of one year (format ``qcp-catalog-export/1``, docs/catalog-format.md)."""
    return load_catalog(session, year).model_dump(mode="json")


def _indicator(session: Session, *, code: str | None = None, indicator_id: int | None = None) -> Indicator:
    stmt = select(Indicator).where(
        Indicator.code == code if code is not None else Indicator.id == indicator_id
    )
    found = session.scalar(stmt)
    if found is None:
        key = code if code is not None else indicator_id
        raise NotFound(f"指标 {key} 不存在 / indicator {key} does not exist", indicator=key)
    return found


def lineage_path(session: Session, indicator_id: int, to_year: int) -> list[list[EdgeRead]]:
    """Every path of indicator lineage edges from the indicator up to ``to_year`` (may skip years).

    A path ends in ``to_year``, in a retirement (``to_code`` None), or where the recorded lineage
    stops (``to_year`` not published yet).
    """
    start = _indicator(session, indicator_id=indicator_id)
    if to_year <= start.year:
        return []
    edges = indicator_edges(
        session, to_years=[y for y in published_years(session) if start.year < y <= to_year]
    )
    return follow(start.code, to_year, outgoing_index(edges))


def successor_of(session: Session, indicator_code: str, year: int) -> list[str] | str:
    """The indicator codes that continue ``indicator_code`` in ``year``, or "retired".

    Returns [code] for an indicator of ``year`` itself, [] when no lineage reaches ``year`` (the
    year is not published), and raises NotFound for an unknown code or a year before the indicator.
    """
    start = _indicator(session, code=indicator_code)
    if year == start.year:
        return [start.code]
    if year < start.year:
        raise NotFound(
            f"指标 {indicator_code} 始于 {start.year} 年，{year} 年没有其后继 / indicator {indicator_code} starts in "
            f"{start.year}; it has no successor in {year}",
            indicator=indicator_code,
            year=year,
        )
    return successors(lineage_path(session, start.id, year), year)


def goal_lineage(session: Session, year: int) -> list[EdgeRead]:
    """Goal-level edges recorded in ``year`` (incoming relations and retirements)."""
    return goal_edges(session, to_years=[year])
