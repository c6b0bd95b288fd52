"""Which earlier indicator a year-over-year comparison uses, read from the catalog lineage.

Rules (docs/benchmarking.md):

* one incoming edge from the year before, ``comparable`` → compare (renumbered goals included:
  NIT-2022-VII.1 → NIT-2023-V.1);
* ``partial`` → compare, with the lineage's caution shown next to the number;
* ``not_comparable`` (redefined: NIT-2022-V.1 → NIT-2023-IX.1) → no number, the lineage's reason;
* an edge from further back (reinstated after a gap) → compare with the same quarter of the
  year the predecessor was last defined, and say so;
* no edge or only ``new`` → nothing to compare; several incoming edges (merged) → not comparable;
* an earlier indicator whose only outgoing edge ends nowhere is retired (NIT-2022-VIII.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

COMPARE = ("comparable", "partial")


@dataclass(frozen=True)
class Predecessor:
    status: str  # comparable | partial | not_comparable | new | merged
    from_indicator_id: int | None
    from_code: str | None
    from_year: int | None
    kinds: tuple[str, ...]
    reason: str
    reason_en: str

    @property
    def compares(self) -> bool:
        return self.status in COMPARE and self.from_indicator_id is not None

    @property
    def source_id(self) -> int:
        """``from_indicator_id`` of a predecessor that ``compares`` (callers check that first)."""
        if self.from_indicator_id is None:
            raise ValueError(f"没有可比的前序指标 / no earlier indicator to compare with ({self.status})")
        return self.from_indicator_id

    @property
    def across_gap(self) -> bool:
        return "reinstated" in self.kinds


_EDGES = """
SELECT l.to_indicator_id, l.from_indicator_id, f.code, f.year, l.kinds, l.comparability, l.reason, l.reason_en
FROM indicator_lineage l LEFT JOIN indicators f ON f.id = l.from_indicator_id
WHERE l.to_indicator_id = ANY(:ids)
ORDER BY l.to_indicator_id, l.id
"""

NEW = Predecessor(
    "new", None, None, None, ("new",), "新增指标，无上年数据。", "New indicator: no earlier data."
)


def _from_edges(edges: list[Any]) -> Predecessor:
    real = [e for e in edges if e.from_indicator_id is not None]
    if not real:
        first = edges[0] if edges else None
        return (
            NEW
            if first is None
            else Predecessor("new", None, None, None, tuple(first.kinds), first.reason, first.reason_en)
        )
    if len(real) > 1:
        codes = "、".join(e.code for e in real)
        return Predecessor(
            "merged",
            None,
            None,
            None,
            ("merged",),
            f"由多个指标合并而来（{codes}），不可比。",
            f"Merged from several indicators ({', '.join(e.code for e in real)}): not comparable.",
        )
    e = real[0]
    status = e.comparability or (
        "comparable" if set(e.kinds) <= {"continued", "renumbered"} else "not_comparable"
    )
    return Predecessor(status, e.from_indicator_id, e.code, e.year, tuple(e.kinds), e.reason, e.reason_en)


def predecessors(session: Session, indicator_ids: list[int]) -> dict[int, Predecessor]:
    """For each indicator, its predecessor for year-over-year comparison (``NEW`` when none)."""
    by_target: dict[int, list[Any]] = {i: [] for i in indicator_ids}
    for row in session.execute(text(_EDGES), {"ids": indicator_ids}):
        by_target[row.to_indicator_id].append(row)
    return {i: _from_edges(edges) for i, edges in by_target.items()}


_RETIRED = """
SELECT f.id, f.code, f.name, f.name_en, l.reason, l.reason_en
FROM indicator_lineage l JOIN indicators f ON f.id = l.from_indicator_id
WHERE l.to_indicator_id IS NULL AND l.to_year = :year
  AND NOT EXISTS (SELECT 1 FROM indicator_lineage o WHERE o.from_indicator_id = f.id AND o.to_indicator_id IS NOT NULL)
ORDER BY f.code
"""

_RETIRED_GOALS = """
SELECT i.id, i.code, i.name, i.name_en, l.reason, l.reason_en
FROM goal_lineage l JOIN indicators i ON i.goal_id = l.from_goal_id
WHERE l.to_goal_id IS NULL AND l.to_year = :year
  AND NOT EXISTS (SELECT 1 FROM indicator_lineage o WHERE o.from_indicator_id = i.id AND o.to_indicator_id IS NOT NULL)
ORDER BY i.code
"""


def retired_before(session: Session, year: int) -> list[dict[str, Any]]:
    """Indicators of the year before ``year`` that do not continue into it, with the reason."""
    rows = {r.id: dict(r._mapping) for r in session.execute(text(_RETIRED_GOALS), {"year": year})}
    for r in session.execute(text(_RETIRED), {"year": year}):
        rows.setdefault(r.id, dict(r._mapping))
    return sorted(rows.values(), key=lambda r: r["code"])


_GOAL_NOTE = """
SELECT i.id, l.comparability, l.reason, l.reason_en
FROM indicators i JOIN goal_lineage l ON l.to_goal_id = i.goal_id
WHERE i.id = ANY(:ids) AND l.comparability = 'partial'
"""


def partial_goal_notes(session: Session, indicator_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Goal-level 'partial' notes (e.g. NIT-2022-VI → NIT-2023-VIII: only the 3 h bundle is shared)."""
    return {r.id: (r.reason, r.reason_en) for r in session.execute(text(_GOAL_NOTE), {"ids": indicator_ids})}
