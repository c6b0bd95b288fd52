"""Checks of the keys ``qcp-catalog/2`` adds: verification marks and sources on every goal,
indicator and lineage edge, revision reasons, moves with an unknown destination. A ``/1`` file
uses none of these keys (the published 2022/2023 files keep validating exactly as before).

Runs on a possibly incomplete file (see ``rules``): every check tolerates missing values.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from services.catalog.fileformat import FORMAT_V2, CatalogFile, EdgeSpec, GoalSpec, Marks, RetiredSpec
from services.catalog.problems import Problem, problem


def check(catalog: CatalogFile, *, base_dir: Path | None = None) -> Iterator[Problem]:
    if catalog.format != FORMAT_V2:
        yield from _v1(catalog)
        return
    yield from _revision(catalog)
    yield from _sources(catalog, base_dir)
    known_sources = set(catalog.sources or {})
    for goal in catalog.goals or []:
        yield from _goal(goal, known_sources)
        for ind in goal.indicators or []:
            yield from _marks(ind, ind.code or f"{goal.code}.?", known_sources, required=True)
            yield from _edges(ind.code or f"{goal.code}.?", ind.lineage or [], known_sources)
    for section in ("goals", "indicators"):
        for n, entry in enumerate(getattr(catalog.retired, section, None) or []):
            yield from _marks(entry, entry.code or f"retired.{section}[{n}]", known_sources, required=True)
            if entry.destination and not entry.moved_to_specialty:
                yield problem(
                    "destination_without_move",
                    entry.code,
                    "destination",
                    "destination 仅用于 moved_to_specialty: true 的条目",
                    "destination is only for entries with moved_to_specialty: true",
                )


def _v1(catalog: CatalogFile) -> Iterator[Problem]:
    """A /1 file: none of the /2 keys, and a non-empty summary on every goal (as /1 always required)."""
    used = []
    if (catalog.revision or 1) != 1 or catalog.revision_reason or catalog.revision_reason_en:
        used.append("revision")
    if catalog.specialty_list == "pending":
        used.append("specialty_list")
    if catalog.sources:
        used.append("sources")
    if catalog.withdrawn:
        used.append("withdrawn")
    items: list[Marks] = [*(catalog.goals or [])]
    for g in catalog.goals or []:
        items += [*(g.lineage or []), *(g.indicators or [])]
        items += [e for i in g.indicators or [] for e in i.lineage or []]
        if g.code_inferred or g.core_strategies:
            used.append(f"{g.code}: code_inferred/core_strategies")
    items += [*(catalog.retired.goals or []), *(catalog.retired.indicators or [])]
    if any(i.verification or i.sources for i in items):
        used.append("verification/sources")
    if any(r.moved_to_specialty or r.destination for r in items if isinstance(r, RetiredSpec)):
        used.append("moved_to_specialty")
    for key in used:
        yield problem(
            "v2_key_in_v1",
            "file",
            key,
            f"{key} 是 qcp-catalog/2 的字段：请把 format 改为 qcp-catalog/2（并补齐 /2 的必填项）",
            f"{key} belongs to qcp-catalog/2: set format: qcp-catalog/2 (and fill in what /2 requires)",
        )
    for g in catalog.goals or []:
        if g.summary is not None and not g.summary:
            yield problem(
                "shape_string_too_short",
                g.code,
                "summary",
                "不能为空，请填写",
                "must not be empty: fill it in",
            )


def _revision(catalog: CatalogFile) -> Iterator[Problem]:
    if (catalog.revision or 1) > 1:
        for key in ("revision_reason", "revision_reason_en"):
            if not getattr(catalog, key, None):
                yield problem(
                    "revision_reason_missing",
                    "file",
                    key,
                    f"第 {catalog.revision} 版必须说明修订原因（{key}）",
                    f"revision {catalog.revision} needs a reason ({key})",
                )
    elif catalog.withdrawn:
        yield problem(
            "withdrawn_in_first_revision",
            "file",
            "withdrawn",
            "withdrawn 只用于修订版（revision ≥ 2）：第 1 版没有可撤销的指标",
            "withdrawn is only for revisions (revision ≥ 2): revision 1 has nothing to withdraw",
        )


def _sources(catalog: CatalogFile, base_dir: Path | None) -> Iterator[Problem]:
    for key, src in (catalog.sources or {}).items():
        if base_dir is not None and src.file and not (base_dir / src.file).is_file():
            yield problem(
                "source_file_missing",
                key,
                "file",
                f"来源文件 {src.file} 不存在（相对于目录文件所在目录）",
                f"source file {src.file} does not exist (relative to the catalog file's directory)",
            )


def _goal(goal: GoalSpec, known_sources: set[str]) -> Iterator[Problem]:
    yield from _marks(goal, goal.code, known_sources, required=True)
    if goal.summary is not None and not goal.summary and goal.verification != "unverified":
        yield problem(
            "summary_missing",
            goal.code,
            "summary",
            "目标简述（summary）只有在 verification: unverified 时才可为空",
            "summary (目标简述) may be empty only when verification is unverified",
        )
    for n, text in enumerate(goal.core_strategies or []):
        if not str(text).strip():
            yield problem(
                "empty_core_strategy",
                goal.code,
                f"core_strategies[{n}]",
                "核心策略条目不能为空",
                "a core strategy must not be empty",
            )
    yield from _edges(goal.code, goal.lineage or [], known_sources)


def _edges(where: str | None, edges: list[EdgeSpec], known_sources: set[str]) -> Iterator[Problem]:
    for n, edge in enumerate(edges):
        yield from _marks(edge, where, known_sources, required=False, field_prefix=f"lineage[{n}].")


def _marks(
    item: Marks,
    where: str | None,
    known_sources: set[str],
    *,
    required: bool,
    field_prefix: str = "",
) -> Iterator[Problem]:
    """verification is required everywhere in /2; sources too (goals, indicators, retirements)
    unless the item is unverified; every cited id must be a key of ``sources``."""
    where = where or "?"
    if item.verification is None:
        yield problem(
            "verification_missing",
            where,
            f"{field_prefix}verification",
            "qcp-catalog/2 要求标注 verification：verified、inferred 或 unverified",
            "qcp-catalog/2 needs a verification mark: verified, inferred or unverified",
        )
    cited = item.sources or []
    if required and not cited and item.verification in ("verified", "inferred"):
        yield problem(
            "sources_missing",
            where,
            f"{field_prefix}sources",
            f"verification 为 {item.verification} 时必须引用来源（sources 中的 id）；未找到来源请标为 unverified",
            f"a {item.verification} item must cite its sources (ids of `sources`); mark it unverified if "
            "no source was found",
        )
    for source in cited:
        if source not in known_sources:
            yield problem(
                "unknown_source",
                where,
                f"{field_prefix}sources",
                f"来源 {source!r} 未在文件顶层 sources 中定义",
                f"source {source!r} is not defined in the file's top-level sources",
            )
