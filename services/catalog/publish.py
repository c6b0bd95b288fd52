"""Publish a year's catalog file into the database: all of it, or nothing.

The caller owns the transaction (the CLI's ``owner_session`` commits). This module only flushes,
inside a SAVEPOINT, so a failure part-way leaves the caller's transaction as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.catalog.convert import indicator_seq, retired_edges
from services.catalog.fileformat import CatalogFile
from services.catalog.known import KnownCatalog
from services.catalog.queries import diff_years
from services.catalog.repository import known_from_db
from services.catalog.schemas import CatalogDiff
from services.catalog.validate import load_yaml, read_source, validate_catalog
from services.core.errors import CatalogInvalid, Conflict
from services.models.catalog import (
    CatalogYear,
    Goal,
    GoalLineage,
    GoalOwner,
    Indicator,
    IndicatorLineage,
    Specialty,
)

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class PublishResult:
    year: int
    status: Literal["published", "unchanged"]
    sha256: str
    goals: int
    indicators: int
    diff: CatalogDiff | None  # against the previous published year; None for the first year


def publish_catalog(session: Session, *, path_or_text: str | Path, published_by: str) -> PublishResult:
    text = read_source(path_or_text)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    raw, _ = load_yaml(text)
    year = raw.get("year") if isinstance(raw, dict) else None
    existing = session.get(CatalogYear, year) if isinstance(year, int) else None
    if existing is not None:
        if existing.file_sha256 != sha:
            raise Conflict(
                f"{year} 年目录已发布且内容不同，不能覆盖；如需更正请发布新年度或联系管理员 / "
                f"the {year} catalog is already published with different content and cannot be replaced",
                year=year,
                published_sha256=existing.file_sha256,
                file_sha256=sha,
            )
        return _result(session, year, "unchanged", sha)
    known = known_from_db(session)
    report = validate_catalog(text, known=known)
    if not report.ok or report.catalog is None:
        raise CatalogInvalid(
            f"目录文件有 {len(report.problems)} 个问题，未加载任何内容 / the catalog file has "
            f"{len(report.problems)} problem(s); nothing was loaded",
            problems=report.problem_dicts(),
        )
    with session.begin_nested():
        _load(session, report.catalog, known, sha=sha, published_by=published_by)
    return _result(session, report.catalog.year, "published", sha)


def _result(session: Session, year: int, status: str, sha: str) -> PublishResult:
    goals = session.scalar(select(func.count()).select_from(Goal).where(Goal.year == year)) or 0
    indicators = (
        session.scalar(select(func.count()).select_from(Indicator).where(Indicator.year == year)) or 0
    )
    earlier = session.scalar(select(func.max(CatalogYear.year)).where(CatalogYear.year < year))
    diff = diff_years(session, earlier, year) if earlier is not None else None
    return PublishResult(year, status, sha, goals, indicators, diff)  # type: ignore[arg-type]


def _load(
    session: Session, catalog: CatalogFile, known: KnownCatalog, *, sha: str, published_by: str
) -> None:
    session.add(
        CatalogYear(
            year=catalog.year,
            title=catalog.title,
            source=catalog.source,
            file_sha256=sha,
            published_by=published_by,
        )
    )
    for s in catalog.specialties:
        if s.code not in known.specialties:
            session.add(Specialty(code=s.code, seq=s.seq, name=s.name, name_en=s.name_en))
    session.flush()
    goals = {g.code: _goal_row(g, catalog.year) for g in catalog.goals}
    session.add_all(goals.values())
    session.flush()
    indicators = {}
    for g in catalog.goals:
        session.add_all(GoalOwner(goal_id=goals[g.code].id, specialty_code=o) for o in g.owners)
        for i in g.indicators:
            indicators[i.code] = _indicator_row(i, goals[g.code], catalog.year)
    session.add_all(indicators.values())
    session.flush()
    _load_lineage(session, catalog, known, goals, indicators)
    session.flush()


def _goal_row(g, year: int) -> Goal:  # noqa: ANN001
    return Goal(
        year=year,
        code=g.code,
        code_as_published=g.code_as_published,
        list=g.list,
        number=g.number,
        title=g.title,
        title_en=g.title_en,
        summary=g.summary,
        direction=g.direction,
    )


def _indicator_row(i, goal: Goal, year: int) -> Indicator:  # noqa: ANN001
    return Indicator(
        goal_id=goal.id,
        year=year,
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
    )


def _ids(session: Session, model: type, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(session.execute(select(model.code, model.id).where(model.code.in_(codes))).all())


def _load_lineage(
    session: Session, catalog: CatalogFile, known: KnownCatalog, goals: dict, indicators: dict
) -> None:
    year = catalog.year
    retired = retired_edges(catalog, known)
    goal_src = {e.from_ for g in catalog.goals for e in g.lineage if e.from_}
    ind_src = {e.from_ for g in catalog.goals for i in g.indicators for e in i.lineage if e.from_}
    goal_ids = _ids(session, Goal, goal_src | {e.from_code for e in retired if "." not in e.from_code})
    ind_ids = _ids(session, Indicator, ind_src | {e.from_code for e in retired if "." in e.from_code})
    for g in catalog.goals:
        for e in g.lineage:
            session.add(
                GoalLineage(
                    from_goal_id=goal_ids.get(e.from_) if e.from_ else None,
                    to_goal_id=goals[g.code].id,
                    **_edge_columns(e, year),
                )
            )
        for i in g.indicators:
            for e in i.lineage:
                session.add(
                    IndicatorLineage(
                        from_indicator_id=ind_ids.get(e.from_) if e.from_ else None,
                        to_indicator_id=indicators[i.code].id,
                        **_edge_columns(e, year),
                    )
                )
    for e in retired:
        columns = {
            "to_year": year,
            "kinds": ["retired"],
            "comparability": None,
            "reason": e.reason,
            "reason_en": e.reason_en,
        }
        if "." in e.from_code:
            session.add(
                IndicatorLineage(from_indicator_id=ind_ids[e.from_code], to_indicator_id=None, **columns)
            )
        else:
            session.add(GoalLineage(from_goal_id=goal_ids[e.from_code], to_goal_id=None, **columns))


def _edge_columns(e, year: int) -> dict:  # noqa: ANN001
    return {
        "to_year": year,
        "kinds": list(e.kinds),
        "comparability": e.comparability,
        "reason": e.reason,
        "reason_en": e.reason_en,
    }


def builtin_catalog_files() -> list[Path]:
    return sorted(DATA_DIR.glob("catalog-*.yaml"))


def load_builtin_catalogs(session: Session, published_by: str) -> list[PublishResult]:
    """Publish the catalogs shipped in services/catalog/data, oldest first (idempotent)."""
    return [
        publish_catalog(session, path_or_text=p, published_by=published_by) for p in builtin_catalog_files()
    ]
