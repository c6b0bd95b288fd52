"""Rules of a revision: a complete file of a year that is already published (revision N ≥ 2).

Goal codes are stable (a revision may add goals, never drop one); an indicator of the previous
revision either stays under its code or is listed in ``withdrawn``; new indicators take new codes
(a withdrawn code is never reused); revisions are numbered without gaps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from services.catalog.fileformat import CatalogFile
from services.catalog.known import KnownCatalog
from services.catalog.problems import Problem, problem


@dataclass(frozen=True)
class PreviousRevision:
    """What the year's current revision holds."""

    year: int
    revision: int
    goals: frozenset[str]
    indicators: frozenset[str]  # active (not withdrawn)
    withdrawn: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, known: KnownCatalog, year: int) -> PreviousRevision:
        inds = [i for i in known.indicators.values() if i.year == year]
        return cls(
            year=year,
            revision=known.revisions.get(year, 1),
            goals=frozenset(g.code for g in known.goals_of(year)),
            indicators=frozenset(i.code for i in inds if not i.withdrawn),
            withdrawn=frozenset(i.code for i in inds if i.withdrawn),
        )


def check(catalog: CatalogFile, previous: PreviousRevision | None) -> Iterator[Problem]:
    revision = catalog.revision or 1
    if previous is None:
        yield problem(
            "revision_without_base",
            "file",
            "revision",
            f"{catalog.year} 年尚未发布，不能发布第 {revision} 版：请先发布第 1 版（或在同一步骤中一并发布）",
            f"{catalog.year} is not published, so revision {revision} cannot be: publish revision 1 first "
            "(or in the same step)",
        )
        return
    if revision <= previous.revision:
        yield problem(
            "revision_exists",
            "file",
            "revision",
            f"{catalog.year} 年第 {revision} 版已发布（当前第 {previous.revision} 版），内容不同；"
            f"更正请提交第 {previous.revision + 1} 版（revision: {previous.revision + 1}，并写明修订原因）",
            f"{catalog.year} revision {revision} is already published (current: {previous.revision}) with "
            f"other content; a correction is revision {previous.revision + 1} with a reason",
        )
        return
    if revision > previous.revision + 1:
        yield problem(
            "revision_gap",
            "file",
            "revision",
            f"{catalog.year} 年当前为第 {previous.revision} 版，下一版应为第 {previous.revision + 1} 版，而不是第 {revision} 版",
            f"{catalog.year} is at revision {previous.revision}; the next one is {previous.revision + 1}, not {revision}",
        )
    yield from _codes(catalog, previous)


def _codes(catalog: CatalogFile, previous: PreviousRevision) -> Iterator[Problem]:
    goals = {g.code for g in catalog.goals or [] if g.code}
    inds = {i.code for g in catalog.goals or [] for i in g.indicators or [] if i.code}
    withdrawn = {w.code for w in catalog.withdrawn or [] if w.code}
    for code in sorted(previous.goals - goals):
        yield problem(
            "goal_dropped_in_revision",
            code,
            "code",
            f"修订版不能删除目标 {code}（目标代码在各版本间保持不变）；请保留该目标，必要时撤销其指标",
            f"a revision cannot drop goal {code} (goal codes are stable across revisions); keep it and "
            "withdraw its indicators if needed",
        )
    for code in sorted(previous.indicators - inds - withdrawn):
        yield problem(
            "indicator_dropped_in_revision",
            code,
            "code",
            f"第 {previous.revision} 版的指标 {code} 不在本版中：请保留（同一代码），或列入 withdrawn 并说明原因",
            f"indicator {code} of revision {previous.revision} is missing: keep it (same code) or list it "
            "under withdrawn with a reason",
        )
    for w in catalog.withdrawn or []:
        if w.code in inds:
            yield problem(
                "withdrawn_and_present",
                w.code,
                "withdrawn",
                f"{w.code} 既被撤销又仍在本版中，请二选一",
                f"{w.code} is withdrawn and still present: keep one",
            )
        elif w.code not in previous.indicators:
            yield problem(
                "withdrawn_unknown",
                w.code,
                "withdrawn",
                f"{w.code} 不是第 {previous.revision} 版中的有效指标，不能撤销",
                f"{w.code} is not an active indicator of revision {previous.revision}; it cannot be withdrawn",
            )
        for successor in w.replaced_by or []:
            if successor not in inds:
                yield problem(
                    "replaced_by_unknown",
                    w.code,
                    "withdrawn.replaced_by",
                    f"replaced_by 中的 {successor} 不是本版的指标",
                    f"replaced_by {successor} is not an indicator of this revision",
                )
    for code in sorted(inds & previous.withdrawn):
        yield problem(
            "indicator_code_reused",
            code,
            "code",
            f"{code} 已在早先版本中撤销，代码不能重复使用：新指标请使用该目标下一个未用序号",
            f"{code} was withdrawn in an earlier revision and its code cannot be reused: give the new "
            "indicator the goal's next free number",
        )
