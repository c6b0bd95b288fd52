"""Pure diff between two catalog years, following lineage (also across skipped years).

``diff_catalogs(old, new, between=[...])``: the edges are those recorded in ``new`` (and in the
catalogs of the years in between, when the two are not adjacent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.catalog.lineage import Composite, compose, follow, outgoing_index
from services.catalog.rules import code_sort_key
from services.catalog.schemas import CatalogDiff, CatalogRead, EdgeRead, GoalChange, IndicatorChange

GROUPS = ("renumbered", "redefined", "moved_to_specialty", "moved_to_national", "split", "merged")


def catalog_edges(catalog: CatalogRead) -> tuple[list[EdgeRead], list[EdgeRead]]:
    """(goal edges, indicator edges) recorded in one year: incoming relations and retirements."""
    goal_edges = [e for g in catalog.goals for e in g.lineage]
    ind_edges = [e for g in catalog.goals for i in g.indicators for e in i.lineage]
    for e in catalog.retired:
        # indicator codes are "<goal code>.<n>"; goal codes never contain a dot
        (ind_edges if "." in (e.from_code or "") else goal_edges).append(e)
    return goal_edges, ind_edges


def _relations(
    old_codes: list[str], new_codes: set[str], edges: list[EdgeRead], old_year: int, year: int
) -> list[Composite]:
    index = outgoing_index(edges)
    found: list[Composite] = []
    for code in old_codes:
        paths = follow(code, year, index)
        live = [p for p in paths if p[-1].to_code in new_codes]
        ended = [p for p in paths if p[-1].to_code is None]
        found += [compose(p) for p in (live or ended[:1])]
    reached = {c.to_code for c in found}
    for code in sorted(new_codes - reached, key=code_sort_key):
        found += _unreached(code, [e for e in edges if e.to_code == code], old_year)
    return found


def _unreached(code: str, incoming: list[EdgeRead], old_year: int) -> list[Composite]:
    """A target no path from the old year reaches: reinstated from before it, or new since."""
    back = [e for e in incoming if "reinstated" in e.kinds and (e.from_year or old_year) < old_year]
    if back:
        return [compose([e]) for e in back]
    new = next((e for e in incoming if "new" in e.kinds), None)
    if new is not None:
        return [Composite("", code, ["new"], None, new.reason, new.reason_en)]
    return [Composite("", code, ["new"], None, f"{old_year} 年之后新增。", f"New since {old_year}.")]


def diff_catalogs(old: CatalogRead, new: CatalogRead, between: Sequence[CatalogRead] = ()) -> CatalogDiff:
    goal_edges: list[EdgeRead] = []
    ind_edges: list[EdgeRead] = []
    for catalog in [*between, new]:
        g, i = catalog_edges(catalog)
        goal_edges += g
        ind_edges += i
    old_goals = {g.code: g for g in old.goals}
    new_goals = {g.code: g for g in new.goals}
    old_inds = {i.code: (g.code, i) for g in old.goals for i in g.indicators}
    new_inds = {i.code: (g.code, i) for g in new.goals for i in g.indicators}
    goals = _relations(list(old_goals), set(new_goals), goal_edges, old.year, new.year)
    inds = _relations(list(old_inds), set(new_inds), ind_edges, old.year, new.year)
    changes = []
    for rel in goals:
        before, after = old_goals.get(rel.from_code), new_goals.get(rel.to_code or "")
        change = GoalChange(
            from_code=rel.from_code or None,
            to_code=rel.to_code,
            from_title=before.title if before else None,
            to_title=after.title if after else None,
            kinds=rel.kinds,
            comparability=rel.comparability,
            reason=rel.reason,
            reason_en=rel.reason_en,
            direction_from=before.direction if before else None,
            direction_to=after.direction if after else None,
        )
        change.indicators = [
            _indicator_change(r, old_inds, new_inds) for r in inds if _belongs(r, change, old_inds, new_inds)
        ]
        changes.append(change)
    changes.sort(key=_change_key)
    diff = _grouped(old.year, new.year, changes)
    diff.pending = list(new.pending) if not between else []
    return diff


def _change_key(change: GoalChange) -> tuple[Any, ...]:
    """Catalog order: by the old goal (list, then number), new goals after, by their own order."""
    if change.from_code:
        return (0, code_sort_key(change.from_code), code_sort_key(change.to_code))
    return (1, code_sort_key(change.to_code), ())


def _belongs(rel: Composite, change: GoalChange, old_inds: dict[str, Any], new_inds: dict[str, Any]) -> bool:
    old_goal = old_inds[rel.from_code][0] if rel.from_code in old_inds else None
    if rel.to_code is None:
        return old_goal is not None and old_goal == change.from_code
    new_goal = new_inds[rel.to_code][0] if rel.to_code in new_inds else None
    if new_goal is None or new_goal != change.to_code:
        return False
    return old_goal is None or change.from_code is None or old_goal == change.from_code


def _indicator_change(rel: Composite, old_inds: dict[str, Any], new_inds: dict[str, Any]) -> IndicatorChange:
    before = old_inds.get(rel.from_code, (None, None))[1]
    after = new_inds.get(rel.to_code or "", (None, None))[1]
    return IndicatorChange(
        from_code=rel.from_code or None,
        to_code=rel.to_code,
        kinds=rel.kinds,
        comparability=rel.comparability,
        reason=rel.reason,
        reason_en=rel.reason_en,
        direction_from=before.direction if before else None,
        direction_to=after.direction if after else None,
    )


def _label(change: GoalChange) -> str:
    return f"{change.from_code} → {change.to_code}"


def _grouped(from_year: int, to_year: int, changes: list[GoalChange]) -> CatalogDiff:
    diff = CatalogDiff(from_year=from_year, to_year=to_year, changes=changes)
    for c in changes:
        kinds = set(c.kinds)
        if c.to_code is None and "moved_to_specialty" in kinds:
            diff.destination_unknown.append(c.from_code or "")
            diff.moved_to_specialty.append(f"{c.from_code} → ?")
        elif c.to_code is None:
            diff.retired.append(c.from_code or "")
        elif "new" in kinds:
            diff.added.append(c.to_code)
        else:
            if kinds == {"continued"}:
                diff.continued.append(_label(c))
            for group in (*GROUPS, "reinstated"):
                if group in kinds:
                    getattr(diff, group).append(_label(c))
        if c.direction_changed:
            diff.direction_changed.append(_label(c))
    return diff
