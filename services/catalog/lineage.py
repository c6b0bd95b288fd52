"""Following lineage edges forward across years (pure). Edges may skip years (``reinstated``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from services.catalog.schemas import EdgeRead

_WORST = {"comparable": 0, "partial": 1, "not_comparable": 2}


def outgoing_index(edges: Iterable[EdgeRead]) -> dict[str, list[EdgeRead]]:
    index: dict[str, list[EdgeRead]] = defaultdict(list)
    for edge in edges:
        if edge.from_code:
            index[edge.from_code].append(edge)
    return index


def follow(code: str, to_year: int, outgoing: dict[str, list[EdgeRead]]) -> list[list[EdgeRead]]:
    """Every path of edges from ``code`` that ends in ``to_year``, in a retirement, or where the
    recorded lineage stops (a later year not published yet)."""
    paths: list[list[EdgeRead]] = []

    def walk(current: str, path: list[EdgeRead]) -> None:
        onward = [e for e in outgoing.get(current, []) if e.to_year <= to_year]
        if not onward and path:
            paths.append(path)
        for edge in onward:
            step = [*path, edge]
            if edge.to_code is None or edge.to_year == to_year:
                paths.append(step)
            else:
                walk(edge.to_code, step)

    walk(code, [])
    return paths


@dataclass(frozen=True)
class Composite:
    """A path collapsed into one relation: kinds in order, the worst comparability, reasons joined."""

    from_code: str
    to_code: str | None
    kinds: list[str]
    comparability: str | None
    reason: str
    reason_en: str


def compose(path: list[EdgeRead]) -> Composite:
    kinds: list[str] = []
    for edge in path:
        kinds += [k for k in edge.kinds if k not in kinds]
    levels = [e.comparability for e in path if e.comparability]
    comparability = max(levels, key=_WORST.__getitem__) if levels else None
    return Composite(
        from_code=path[0].from_code or "",
        to_code=path[-1].to_code,
        kinds=kinds,
        comparability=comparability,
        reason=" → ".join(e.reason for e in path),
        reason_en=" → ".join(e.reason_en for e in path),
    )


def successors(paths: list[list[EdgeRead]], to_year: int) -> list[str] | str:
    """Codes reached in ``to_year``; "retired" when every path ends in a retirement; [] when unknown."""
    reached = sorted({p[-1].to_code for p in paths if p[-1].to_code and p[-1].to_year == to_year})
    if reached:
        return reached
    if any(p[-1].to_code is None and "retired" in p[-1].kinds for p in paths):
        return "retired"
    return []  # unknown: not published yet, or moved to a specialty goal not known yet
