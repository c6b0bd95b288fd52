"""What is already known about earlier catalog years: the context a new year is validated against.

Built either from the database (``services.catalog.queries.known_from_db``) or from earlier
catalog files (``KnownCatalog.from_files``), so a file can be checked before anything is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.catalog.fileformat import CatalogFile


@dataclass(frozen=True)
class KnownGoal:
    code: str
    year: int
    list: str
    number: int
    direction: str


@dataclass(frozen=True)
class KnownIndicator:
    code: str
    year: int
    goal_code: str
    direction: str


@dataclass(frozen=True)
class KnownSpecialty:
    code: str
    seq: int
    name: str
    name_en: str


@dataclass
class KnownCatalog:
    goals: dict[str, KnownGoal] = field(default_factory=dict)
    indicators: dict[str, KnownIndicator] = field(default_factory=dict)
    specialties: dict[str, KnownSpecialty] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)  # goal and indicator codes with a `retired` edge

    @property
    def years(self) -> list[int]:
        return sorted({g.year for g in self.goals.values()})

    def previous_year(self, year: int) -> int | None:
        earlier = [y for y in self.years if y < year]
        return max(earlier) if earlier else None

    def goals_of(self, year: int) -> list[KnownGoal]:
        return [g for g in self.goals.values() if g.year == year]

    def indicators_of(self, year: int) -> list[KnownIndicator]:
        return [i for i in self.indicators.values() if i.year == year]

    def add_file(self, catalog: CatalogFile) -> None:
        for s in catalog.specialties:
            self.specialties[s.code] = KnownSpecialty(s.code, s.seq, s.name, s.name_en)
        for g in catalog.goals:
            self.goals[g.code] = KnownGoal(g.code, catalog.year, g.list, g.number, g.direction)
            for i in g.indicators:
                self.indicators[i.code] = KnownIndicator(i.code, catalog.year, g.code, i.direction)
        retired_goals = {r.code for r in catalog.retired.goals}
        self.retired |= retired_goals | {r.code for r in catalog.retired.indicators}
        self.retired |= {i.code for i in self.indicators.values() if i.goal_code in retired_goals}

    @classmethod
    def from_files(cls, catalogs: Iterable[CatalogFile]) -> KnownCatalog:
        known = cls()
        for catalog in sorted(catalogs, key=lambda c: c.year):
            known.add_file(catalog)
        return known

    def merged_with(self, catalogs: Iterable[CatalogFile]) -> KnownCatalog:
        known = KnownCatalog(
            dict(self.goals), dict(self.indicators), dict(self.specialties), set(self.retired)
        )
        for catalog in sorted(catalogs, key=lambda c: c.year):
            if catalog.year not in known.years:
                known.add_file(catalog)
        return known
