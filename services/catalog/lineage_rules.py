"""Lineage checks: every item of the new year has an incoming relation (or ``new``), every item of
the previous year has an outgoing one (a successor or ``retired``), and each relation is consistent
with what it links (sources exist, skip-year edges are ``reinstated``, list moves and direction
changes are declared)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from services.catalog.fileformat import CatalogFile, EdgeSpec
from services.catalog.known import KnownCatalog, KnownGoal, KnownIndicator
from services.catalog.problems import Problem, problem


@dataclass(frozen=True)
class Target:
    level: str  # goal | indicator
    code: str
    direction: str | None
    goal_code: str  # the goal itself, or the indicator's goal
    goal_list: str | None
    number: int | None
    edges: list[EdgeSpec]


def check(catalog: CatalogFile, known: KnownCatalog) -> Iterator[Problem]:
    if catalog.year in known.years:
        yield problem(
            "year_exists",
            str(catalog.year),
            "year",
            f"{catalog.year} 年目录已发布，不能重复发布不同内容",
            f"the {catalog.year} catalog is already published; a different file cannot replace it",
        )
    targets = list(_targets(catalog))
    goal_sources = {(t.code, e.from_) for t in targets if t.level == "goal" for e in t.edges if e.from_}
    file_codes = {t.code for t in targets if t.code}
    for t in targets:
        yield from _incoming(t, catalog.year, known, goal_sources, file_codes)
    yield from _fan(targets)
    yield from _outgoing(catalog, known, targets)


def _targets(catalog: CatalogFile) -> Iterator[Target]:
    for g in catalog.goals:
        yield Target("goal", g.code, g.direction, g.code, g.list, g.number, g.lineage or [])
        for i in g.indicators or []:
            yield Target("indicator", i.code, i.direction, g.code, g.list, g.number, i.lineage or [])


def _incoming(
    t: Target, year: int, known: KnownCatalog, goal_sources: set[tuple[str, str]], file_codes: set[str]
) -> Iterator[Problem]:
    if not t.edges:
        yield problem(
            "missing_incoming",
            t.code,
            "lineage",
            "缺少谱系：请填写来源关系，或注明 kinds: [new]",
            "no lineage: add the incoming relation, or kinds: [new]",
        )
    seen: set[str] = set()
    for n, edge in enumerate(t.edges):
        field = f"lineage[{n}]"
        kinds = set(edge.kinds or [])
        if "retired" in kinds:
            yield problem(
                "retired_as_incoming",
                t.code,
                f"{field}.kinds",
                "retired 不能作为来源关系；请把不再延续的条目列入 retired",
                "'retired' is not an incoming relation; list discontinued items under retired",
            )
        if "new" in kinds:
            yield from _new_edge(t, edge, field)
            continue
        if not edge.from_:
            yield problem(
                "missing_source",
                t.code,
                f"{field}.from",
                "非 new 关系必须填写 from（来源代码）",
                "a relation other than 'new' needs 'from' (the source code)",
            )
            continue
        if edge.from_ in seen:
            yield problem(
                "duplicate_edge",
                t.code,
                f"{field}.from",
                f"来源 {edge.from_} 重复列出",
                f"source {edge.from_} listed twice",
            )
        seen.add(edge.from_)
        yield from _sourced_edge(t, edge, field, year, known, goal_sources, file_codes)


def _new_edge(t: Target, edge: EdgeSpec, field: str) -> Iterator[Problem]:
    if edge.from_ or set(edge.kinds or []) != {"new"} or edge.comparability or len(t.edges) > 1:
        yield problem(
            "bad_new_edge",
            t.code,
            field,
            "new 关系必须单独出现，且不能带 from、其他 kinds 或 comparability",
            "a 'new' relation stands alone, without 'from', other kinds or comparability",
        )


def _cycle(t: Target, edge: EdgeSpec, field: str, year: int, source_year: int) -> Problem:
    """An edge from the same year or a later one would make lineage run in a circle."""
    return problem(
        "lineage_cycle",
        t.code,
        f"{field}.from",
        f"谱系来源 {edge.from_} 属于 {source_year} 年，不早于 {year} 年：谱系只能指向更早年度，"
        "同年或更晚的来源会形成环；请改为上一年度的代码，或注明 kinds: [new]",
        f"lineage source {edge.from_} is of {source_year}, not earlier than {year}: lineage points to "
        "earlier years only (a same-year or later source makes a cycle); use an earlier code or kinds: [new]",
    )


def _sourced_edge(
    t: Target,
    edge: EdgeSpec,
    field: str,
    year: int,
    known: KnownCatalog,
    goal_sources: set[tuple[str, str]],
    file_codes: set[str],
) -> Iterator[Problem]:
    assert edge.from_ is not None  # _incoming answered a relation without a source already
    source: KnownGoal | KnownIndicator | None = (known.goals if t.level == "goal" else known.indicators).get(
        edge.from_
    )
    if edge.from_ in file_codes or (source is not None and source.year >= year):
        yield _cycle(t, edge, field, year, source.year if source is not None else year)
        return
    if source is None:
        label = "目标" if t.level == "goal" else "指标"
        yield problem(
            "lineage_source_missing",
            t.code,
            f"{field}.from",
            f"谱系来源 {edge.from_} 不是已发布年度或随附早期文件中的{label}，请改正代码或先发布该年度",
            f"lineage source {edge.from_} is not a {t.level} of a published year or an accompanying earlier "
            "file: fix the code or publish that year first",
        )
        return
    kinds = set(edge.kinds or [])
    if not edge.comparability:
        yield problem(
            "missing_comparability",
            t.code,
            f"{field}.comparability",
            "请填写 comparability：comparable、partial 或 not_comparable",
            "set comparability: comparable, partial or not_comparable",
        )
    yield from _gap(t, edge, field, source.year, known.previous_year(year), known)
    if t.direction in ("higher", "lower") and source.direction != t.direction:
        if "redefined" not in kinds or edge.comparability == "comparable":
            yield problem(
                "direction_change_undeclared",
                t.code,
                field,
                f"方向由 {source.direction} 变为 {t.direction}：kinds 须含 redefined，comparability 不能为 comparable",
                f"direction changed {source.direction}→{t.direction}: kinds must include redefined and "
                "comparability cannot be comparable",
            )
    if isinstance(source, KnownGoal):  # t.level == "goal": the source was looked up among goals
        yield from _goal_edge(t, edge, field, source)
    elif (t.goal_code, known.indicators[edge.from_].goal_code) not in goal_sources:
        yield problem(
            "indicator_goal_mismatch",
            t.code,
            f"{field}.from",
            f"指标来源 {edge.from_} 所属目标与 {t.goal_code} 之间没有目标谱系，请补充目标关系或改正来源",
            f"the goal of source {edge.from_} has no goal-level relation to {t.goal_code}: add it or fix the source",
        )


def _gap(
    t: Target, edge: EdgeSpec, field: str, source_year: int, previous: int | None, known: KnownCatalog
) -> Iterator[Problem]:
    assert edge.from_ is not None  # only called for relations with a source
    kinds = set(edge.kinds or [])
    if "reinstated" in kinds:
        if source_year == previous:
            yield problem(
                "reinstated_without_gap",
                t.code,
                f"{field}.kinds",
                "reinstated 仅用于跨越中断年度的恢复；来自上一年度的关系请用 continued 等",
                "'reinstated' is for a return after a gap; a relation from the previous year uses continued etc.",
            )
        elif edge.from_ not in known.retired:
            yield problem(
                "reinstated_not_retired",
                t.code,
                f"{field}.from",
                f"{edge.from_} 从未被标记为 retired，不能 reinstated",
                f"{edge.from_} was never retired, so it cannot be reinstated",
            )
    elif previous is not None and source_year != previous and not known.awaiting(edge.from_):
        yield problem(
            "skip_year_needs_reinstated",
            t.code,
            f"{field}.kinds",
            f"来源 {edge.from_} 来自 {source_year} 年而非上一年度 {previous}：跨年度关系须标注 reinstated",
            f"source {edge.from_} is from {source_year}, not the previous year {previous}: mark it reinstated",
        )


def _goal_edge(t: Target, edge: EdgeSpec, field: str, source: KnownGoal) -> Iterator[Problem]:
    kinds = set(edge.kinds or [])
    moved: dict[tuple[str, str | None], str] = {
        ("national", "specialty"): "moved_to_specialty",
        ("specialty", "national"): "moved_to_national",
    }
    needed = moved.get((source.list, t.goal_list))
    if needed and needed not in kinds:
        yield problem(
            "move_undeclared",
            t.code,
            f"{field}.kinds",
            f"目标从 {source.list} 列表移到 {t.goal_list}：kinds 须含 {needed}",
            f"goal moved from the {source.list} to the {t.goal_list} list: kinds must include {needed}",
        )
    for kind in kinds & set(moved.values()) - {needed}:
        yield problem(
            "move_mismatch",
            t.code,
            f"{field}.kinds",
            f"{kind} 与来源/目标所在列表不符",
            f"{kind} does not match the lists of source and target",
        )
    if source.list == t.goal_list and "reinstated" not in kinds:
        renumbered = source.number != t.number
        if renumbered != ("renumbered" in kinds):
            zh = "序号已变化，kinds 须含 renumbered" if renumbered else "序号未变化，不应标注 renumbered"
            en = (
                "the number changed: add renumbered"
                if renumbered
                else "the number did not change: drop renumbered"
            )
            yield problem("renumbered_mismatch", t.code, f"{field}.kinds", zh, en)


def _fan(targets: list[Target]) -> Iterator[Problem]:
    """A source with several successors is a split; a target with several sources is a merge."""
    by_source: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for t in targets:
        sourced = [e for e in t.edges if e.from_ and "new" not in (e.kinds or [])]
        for e in sourced:
            by_source[(t.level, e.from_)].append((t, e))
            if len(sourced) > 1 and "merged" not in (e.kinds or []):
                yield problem(
                    "merge_undeclared",
                    t.code,
                    "lineage",
                    f"{t.code} 有多个来源：每条关系的 kinds 须含 merged",
                    f"{t.code} has several sources: each relation needs kind merged",
                )
    for (_, source), uses in by_source.items():
        if len(uses) > 1:
            for t, e in uses:
                if "split" not in (e.kinds or []):
                    yield problem(
                        "split_undeclared",
                        t.code,
                        "lineage",
                        f"{source} 有多个后继：每条关系的 kinds 须含 split",
                        f"{source} has several successors: each relation needs kind split",
                    )


def _outgoing(catalog: CatalogFile, known: KnownCatalog, targets: list[Target]) -> Iterator[Problem]:
    previous = known.previous_year(catalog.year)
    used = {(t.level, e.from_) for t in targets for e in t.edges if e.from_}
    retired_goals = {r.code for r in catalog.retired.goals or []}
    retired_inds = {r.code for r in catalog.retired.indicators or []}
    yield from _retired_entries(catalog, known, previous, used)
    if previous is None:
        return
    pending = catalog.specialty_list == "pending"
    for g in known.goals_of(previous):
        if pending and g.list == "specialty":
            continue  # this year's specialty list is not loaded yet: the goal is pending, not retired
        if ("goal", g.code) not in used and g.code not in retired_goals:
            yield problem(
                "missing_outgoing",
                g.code,
                "lineage",
                f"{previous} 年目标 {g.code} 在 {catalog.year} 年没有去向：请在某个目标的 lineage 中引用它，或列入 retired.goals",
                f"{previous} goal {g.code} has no outgoing relation in {catalog.year}: reference it in a "
                "goal's lineage or list it under retired.goals",
            )
    pending_goals = {g.code for g in known.goals_of(previous) if pending and g.list == "specialty"}
    for i in known.indicators_of(previous):
        if i.goal_code in pending_goals:
            continue
        if (
            ("indicator", i.code) not in used
            and i.code not in retired_inds
            and i.goal_code not in retired_goals
        ):
            yield problem(
                "missing_outgoing",
                i.code,
                "lineage",
                f"{previous} 年指标 {i.code} 在 {catalog.year} 年没有去向：请在某个指标的 lineage 中引用它，或列入 retired.indicators",
                f"{previous} indicator {i.code} has no outgoing relation in {catalog.year}: reference it in "
                "an indicator's lineage or list it under retired.indicators",
            )


def _retired_entries(
    catalog: CatalogFile, known: KnownCatalog, previous: int | None, used: set[tuple[str, str]]
) -> Iterator[Problem]:
    sections = (
        ("goal", catalog.retired.goals or [], known.goals),
        ("indicator", catalog.retired.indicators or [], known.indicators),
    )
    for level, entries, pool in sections:
        for entry in entries:
            item = pool.get(entry.code)
            if item is None or item.year != previous:
                yield problem(
                    "retired_unknown",
                    entry.code or "?",
                    "retired",
                    f"retired 中的 {entry.code} 不是上一年度（{previous}）的{'目标' if level == 'goal' else '指标'}",
                    f"retired entry {entry.code} is not a {level} of the previous year ({previous})",
                )
            elif (level, entry.code) in used:
                yield problem(
                    "retired_and_continued",
                    entry.code,
                    "retired",
                    f"{entry.code} 既有后继又被列为 retired，请二选一",
                    f"{entry.code} has a successor and is also retired: keep one",
                )
