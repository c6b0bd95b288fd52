"""Publish catalog files into the database: a step of files together, all of it or nothing.

A file is revision 1 of a new year, or a revision (N ≥ 2) of a published year. A revision updates
the year's goals and indicators in place by code (their ids stay: stored submission values keep
pointing at them), adds new ones, marks withdrawn indicators, replaces the year's incoming lineage,
and keeps the file, its sha256, its reason and a diff against the revision before; it is audited.

The caller owns the transaction (the CLI's ``owner_session`` commits). This module only flushes,
inside a SAVEPOINT, so a failure part-way leaves the caller's transaction as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services import audit
from services.catalog.fileformat import CatalogFile
from services.catalog.load import load_year, revise_year
from services.catalog.queries import diff_years
from services.catalog.repository import known_from_db
from services.catalog.schemas import CatalogDiff, RevisionDiff
from services.catalog.steps import SHIPPED, check_step, ordered, read_manifest, year_and_revision
from services.core.actor import Actor, system_actor
from services.core.errors import CatalogInvalid, Conflict
from services.models.catalog import CatalogRevision, CatalogYear, Goal, Indicator

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class PublishResult:
    year: int
    status: Literal["published", "unchanged"]
    sha256: str
    goals: int
    indicators: int
    diff: CatalogDiff | None  # against the previous published year; None for the first year
    revision: int = 1
    revision_diff: RevisionDiff | None = None  # against the revision before (revisions only)

    @property
    def label(self) -> str:
        return str(self.year) if self.revision == 1 else f"{self.year} r{self.revision}"


@dataclass(frozen=True)
class StepResult:
    files: list[str]
    results: list[PublishResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "published" if any(r.status == "published" for r in self.results) else "unchanged"


def _sha(text_: str) -> str:
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def publish_catalog(session: Session, *, path_or_text: str | Path, published_by: str) -> PublishResult:
    """Publish one file (a new year, or a revision of a published one)."""
    return publish_step(session, sources=[path_or_text], published_by=published_by).results[0]


def publish_step(
    session: Session, *, sources: Sequence[str | Path], published_by: str, actor: Actor | None = None
) -> StepResult:
    """Publish several files together (e.g. 2021 with the 2022 revision linking back to it).

    Files already published with identical content are left alone (``unchanged``); a different
    file under a published (year, revision) is refused. Every problem of every file is reported
    at once and nothing is loaded unless all of them are valid.
    """
    # One publication at a time: a second one started at the same instant waits for the first to
    # commit, then finds its files published (``unchanged``) instead of failing on a unique key.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('qcp:catalog-publish'))"))
    files = ordered(sources)
    labels = [str(s) if isinstance(s, Path) else f"<text {year_and_revision(t)[0]}>" for s, t in files]
    todo = [(s, t) for s, t in files if not _already_published(session, t)]
    if not todo:
        return StepResult(labels, [_result(session, t, "unchanged") for _, t in files])
    checks = check_step([s if isinstance(s, Path) else t for s, t in todo], known_from_db(session))
    problems = [{**p.as_dict(), "file": c.source} for c in checks for p in c.report.problems]
    if problems or any(c.report.catalog is None for c in checks):
        raise CatalogInvalid(
            f"目录文件有 {len(problems)} 个问题，未加载任何内容 / the catalog file(s) have "
            f"{len(problems)} problem(s); nothing was loaded",
            problems=problems,
        )
    actor = actor or system_actor("catalog")
    revision_diffs: dict[tuple[int, int], RevisionDiff] = {}
    with session.begin_nested():
        for (_, text_), check in zip(todo, checks, strict=True):
            catalog = check.report.catalog
            assert catalog is not None
            diff = _publish_one(session, catalog, text_, published_by, actor)
            if diff is not None:
                revision_diffs[(catalog.year, catalog.revision)] = diff
    results = []
    for _, text_ in files:
        published = any(t is text_ for _, t in todo)
        result = _result(session, text_, "published" if published else "unchanged")
        diff = revision_diffs.get((result.year, result.revision))
        results.append(_with_revision_diff(result, diff))
    return StepResult(labels, results)


def _with_revision_diff(result: PublishResult, diff: RevisionDiff | None) -> PublishResult:
    if diff is None:
        return result
    return PublishResult(**{**result.__dict__, "revision_diff": diff})


def _already_published(session: Session, text_: str) -> bool:
    """True when this exact file is published; Conflict when its (year, revision) holds another."""
    year, revision = year_and_revision(text_)
    if year is None:
        return False
    row = session.scalar(
        select(CatalogRevision).where(CatalogRevision.year == year, CatalogRevision.revision == revision)
    )
    if row is None:
        return False
    sha = _sha(text_)
    if row.file_sha256 == sha:
        return True
    current = session.get(CatalogYear, year)
    following = (current.revision if current else revision) + 1
    label = str(year) if revision == 1 else f"{year} 第 {revision} 版 / revision {revision}"
    raise Conflict(
        f"{label} 已发布且内容不同，不能覆盖；更正请发布第 {following} 版（revision: {following}，写明修订原因）/ "
        f"the {year} catalog revision {revision} is already published with different content and cannot "
        f"be replaced; a correction is revision {following} (with revision_reason)",
        year=year,
        revision=revision,
        published_sha256=row.file_sha256,
        file_sha256=sha,
    )


def _publish_one(
    session: Session, catalog: CatalogFile, text_: str, published_by: str, actor: Actor
) -> RevisionDiff | None:
    known = known_from_db(session)
    if catalog.year in known.revisions:
        diff = revise_year(session, catalog, known, published_by=published_by)
        action, before = "catalog.revise", {"revision": catalog.revision - 1}
    else:
        load_year(session, catalog, known, published_by=published_by)
        diff, action, before = None, "catalog.publish", None
    session.add(
        CatalogRevision(
            year=catalog.year,
            revision=catalog.revision,
            format=catalog.format,
            file_sha256=_sha(text_),
            file_text=text_,
            reason=catalog.revision_reason,
            reason_en=catalog.revision_reason_en,
            diff=diff.model_dump(mode="json") if diff is not None else None,
            published_by=published_by,
        )
    )
    header = session.get(CatalogYear, catalog.year)
    assert header is not None
    header.file_sha256 = _sha(text_)
    session.flush()
    # catalog publishing acts nationally (audit rows of national things have no province)
    session.execute(text("SELECT set_config('app.all_provinces', 'on', true)"))
    reason = " / ".join(r for r in (catalog.revision_reason, catalog.revision_reason_en) if r)
    audit.record(
        session,
        actor,
        action=action,
        entity="catalog_year",
        entity_id=f"{catalog.year}r{catalog.revision}",
        before=before,
        after={"year": catalog.year, "revision": catalog.revision, "sha256": _sha(text_), "by": published_by},
        reason=reason,
        province_code=None,
    )
    from services.notification.triggers import catalog_published

    catalog_published(session, year=catalog.year, revision=catalog.revision)
    return diff


def _result(session: Session, text_: str, status: str) -> PublishResult:
    year, revision = year_and_revision(text_)
    assert year is not None
    goals = session.scalar(select(func.count()).select_from(Goal).where(Goal.year == year)) or 0
    indicators = (
        session.scalar(
            select(func.count())
            .select_from(Indicator)
            .where(Indicator.year == year, Indicator.withdrawn_revision.is_(None))
        )
        or 0
    )
    earlier = session.scalar(select(func.max(CatalogYear.year)).where(CatalogYear.year < year))
    diff = diff_years(session, earlier, year) if earlier is not None else None
    return PublishResult(year, status, _sha(text_), goals, indicators, diff, revision)  # type: ignore[arg-type]


def publish_shipped(
    session: Session, *, published_by: str, manifest: Path = SHIPPED, actor: Actor | None = None
) -> list[StepResult]:
    """Run the steps of services/catalog/data/shipped.yaml in order (idempotent)."""
    return [
        publish_step(session, sources=step, published_by=published_by, actor=actor)
        for step in read_manifest(manifest)
    ]


def builtin_catalog_files() -> list[Path]:
    """Every file the shipped manifest names, in publication order."""
    return [p for step in read_manifest(SHIPPED) for p in step]


def load_builtin_catalogs(session: Session, published_by: str) -> list[PublishResult]:
    """Publish the catalogs shipped in services/catalog/data (``shipped.yaml``), idempotent."""
    return [r for step in publish_shipped(session, published_by=published_by) for r in step.results]
