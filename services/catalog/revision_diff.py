"""What a revision changed in its year: goals and indicators added, changed field by field,
withdrawn; lineage edges added and removed; and the later years' edges that start at an indicator
whose definition changed (their comparability was judged against the old definition)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.catalog.repository import indicator_edges, published_years
from services.catalog.rules import code_sort_key
from services.catalog.schemas import CatalogRead, EdgeRead, FieldChange, RevisionDiff

GOAL_FIELDS = (
    "code_as_published",
    "list",
    "number",
    "title",
    "title_en",
    "summary",
    "direction",
    "owners",
    "code_inferred",
    "verification",
    "sources",
    "core_strategies",
)
INDICATOR_FIELDS = (
    "name",
    "name_en",
    "kind",
    "numerator",
    "denominator",
    "unit",
    "multiplier",
    "direction",
    "note",
    "verification",
    "sources",
    "source_note",
)
DEFINITION = {"kind", "numerator", "denominator", "unit", "multiplier", "direction"}
HEADER_FIELDS = ("title", "source", "specialty_list", "file_format")


def _changes(before: object, after: object, fields: tuple[str, ...]) -> dict[str, list[Any]]:
    return {
        f: [getattr(before, f), getattr(after, f)] for f in fields if getattr(before, f) != getattr(after, f)
    }


def edge_label(e: EdgeRead) -> str:
    target = e.to_code or ("?" if e.destination_unknown else "retired")
    return f"{e.from_code or 'new'} → {target} [{', '.join(e.kinds)}] {e.comparability or '-'}"


def _edges(catalog: CatalogRead) -> set[str]:
    edges = [*catalog.retired]
    for g in catalog.goals:
        edges += g.lineage
        edges += [e for i in g.indicators for e in i.lineage]
    return {edge_label(e) for e in edges}


def revision_diff(session: Session, before: CatalogRead, after: CatalogRead) -> RevisionDiff:
    diff = RevisionDiff(year=after.year, from_revision=before.revision, to_revision=after.revision)
    diff.header_changed = _changes(before, after, HEADER_FIELDS)
    old_goals = {g.code: g for g in before.goals}
    old_inds = {i.code: i for g in before.goals for i in g.indicators}
    redefined = []
    for g in after.goals:
        old = old_goals.get(g.code)
        if old is None:
            diff.goals_added.append(g.code)
        elif changed := _changes(old, g, GOAL_FIELDS):
            diff.goals_changed.append(FieldChange(code=g.code, changes=changed))
        for i in g.indicators:
            old_i = old_inds.get(i.code)
            if old_i is None:
                diff.indicators_added.append(i.code)
            elif changed := _changes(old_i, i, INDICATOR_FIELDS):
                diff.indicators_changed.append(FieldChange(code=i.code, changes=changed))
                if DEFINITION & set(changed):
                    redefined.append(i.code)
    already = {i.code for i in before.withdrawn}
    diff.indicators_withdrawn = [i.code for i in after.withdrawn if i.code not in already]
    old_edges, new_edges = _edges(before), _edges(after)
    diff.lineage_added = sorted(new_edges - old_edges)
    diff.lineage_removed = sorted(old_edges - new_edges)
    later = [y for y in published_years(session) if y > after.year]
    if redefined and later:
        diff.later_edges_to_review = [
            f"{edge_label(e)} ({e.to_year})"
            for e in indicator_edges(session, to_years=later)
            if e.from_code in redefined
        ]
    diff.goals_added.sort(key=code_sort_key)
    diff.indicators_added.sort(key=code_sort_key)
    return diff
