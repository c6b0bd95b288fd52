"""Publication steps: the files published together in one transaction, and the shipped manifest.

A step is checked as a whole before anything is loaded: its files in (year, revision) order, each
against what is published plus the files before it. One rule needs the whole step: a year before
an already published one (2021 behind 2022) comes only together with a revision of that later year
whose lineage links back to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from services.catalog.fileformat import CatalogFile, ShippedManifest
from services.catalog.known import KnownCatalog
from services.catalog.problems import Problem, problem
from services.catalog.validate import ValidationReport, load_yaml, read_source, validate_catalog

DATA_DIR = Path(__file__).parent / "data"
SHIPPED = DATA_DIR / "shipped.yaml"


class ManifestInvalid(ValueError):
    """shipped.yaml is unreadable or names a file that does not exist."""


def read_manifest(path: Path = SHIPPED) -> list[list[Path]]:
    """The steps of a manifest as paths (relative names resolve next to the manifest)."""
    try:
        manifest = ShippedManifest.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ManifestInvalid(f"发布清单 {path} 无法读取 / cannot read the manifest {path}: {exc}") from exc
    steps = [[path.parent / name for name in step] for step in manifest.steps]
    missing = [str(p) for step in steps for p in step if not p.is_file()]
    if missing:
        raise ManifestInvalid(
            f"发布清单列出的文件不存在 / the manifest names files that do not exist: {', '.join(missing)}"
        )
    return steps


@dataclass
class FileCheck:
    source: str  # the path, or "<text #n>"
    report: ValidationReport


def year_and_revision(text: str) -> tuple[int | None, int]:
    raw, _ = load_yaml(text)
    if not isinstance(raw, dict):
        return None, 1
    year, revision = raw.get("year"), raw.get("revision")
    return (year if isinstance(year, int) else None), (revision if isinstance(revision, int) else 1)


def ordered(sources: Sequence[str | Path]) -> list[tuple[str | Path, str]]:
    """(source, text) in (year, revision) order: an earlier year before the revision linking to it."""
    texts = [(s, read_source(s)) for s in sources]
    return sorted(texts, key=lambda st: tuple(x or 0 for x in year_and_revision(st[1])))


def check_step(sources: Sequence[str | Path], known: KnownCatalog | None = None) -> list[FileCheck]:
    """Validate a step's files in order against ``known`` (published) plus the files before each."""
    context = known or KnownCatalog()
    published = context.copy()
    checks: list[FileCheck] = []
    valid: list[CatalogFile] = []
    for n, (source, text) in enumerate(ordered(sources)):
        label = str(source) if isinstance(source, Path) or len(str(source)) < 200 else f"<text #{n + 1}>"
        report = validate_catalog(source if isinstance(source, Path) else text, known=context)
        checks.append(FileCheck(label, report))
        if report.catalog is not None:
            valid.append(report.catalog)
            context = context.merged_with([report.catalog])
    for catalog, extra in _behind_published(valid, published):
        for check in checks:
            if check.report.catalog is catalog:
                check.report.problems.append(extra)
    return checks


def _behind_published(
    catalogs: list[CatalogFile], published: KnownCatalog
) -> list[tuple[CatalogFile, Problem]]:
    """A new year before a published one needs, in the same step, a revision of the next published
    year whose lineage links back to it."""
    out = []
    for catalog in catalogs:
        later = published.next_year(catalog.year)
        if catalog.year in published.revisions or later is None:
            continue
        codes = {g.code for g in catalog.goals} | {i.code for g in catalog.goals for i in g.indicators}
        current = published.revisions.get(later, 1)
        links = any(
            c.year == later and (c.revision or 1) > current and _links_back(c, codes) for c in catalogs
        )
        if not links:
            out.append((catalog, _behind_problem(catalog.year, later, current + 1)))
    return out


def _links_back(catalog: CatalogFile, codes: set[str]) -> bool:
    edges = [e for g in catalog.goals for e in [*g.lineage, *(e for i in g.indicators for e in i.lineage)]]
    return any(e.from_ in codes for e in edges)


def _behind_problem(year: int, later: int, revision: int) -> Problem:
    command = f"qcp catalog publish catalog-{year}.yaml catalog-{later}.r{revision}.yaml"
    return problem(
        "earlier_year_needs_link",
        str(year),
        "year",
        f"{later} 年已发布，{year} 年不能单独加在其前：请同时发布 {later} 年的第 {revision} 版（revision: {revision}，"
        f"其谱系 from 指向 {year} 年的目标与指标），两者在同一步骤中发布：{command}"
        f"（或把这两个文件作为一步写入 shipped.yaml，再运行 qcp catalog publish --shipped）",
        f"{later} is already published, so {year} cannot be added behind it alone: publish revision "
        f"{revision} of {later} (its lineage `from` pointing at the {year} goals and indicators) in the "
        f"same step: {command} (or list both files as one step in shipped.yaml and run "
        "qcp catalog publish --shipped)",
    )


def check_manifest(path: Path = SHIPPED) -> list[list[FileCheck]]:
    """Every step of a manifest checked from the files alone (no database), in order."""
    known = KnownCatalog()
    out = []
    for step in read_manifest(path):
        checks = check_step(step, known)
        out.append(checks)
        known = known.merged_with([c.report.catalog for c in checks if c.report.catalog is not None])
    return out
