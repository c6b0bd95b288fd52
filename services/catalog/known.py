"""What is already known about other catalog years: the context a file is validated against.

Built either from the database (``services.catalog.repository.known_from_db``) or from other
catalog files (``KnownCatalog.from_files``), so a file can be checked before anything is loaded.
A revision of a published year is validated against ``without_year(year)`` plus ``previous`` (what
the year's current revision holds: its goals and indicators, for the revision rules).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

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
    withdrawn: bool = False


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
    retired: dict[str, int] = field(default_factory=dict)  # code → year whose file retired it
    moved_unknown: dict[str, int] = field(default_factory=dict)  # moved to a specialty, destination unknown
    continued: set[str] = field(default_factory=set)  # codes with an outgoing relation to a later item
    revisions: dict[int, int] = field(default_factory=dict)  # year → current revision
    pending_years: set[int] = field(default_factory=set)  # years whose specialty list is pending

    @property
    def years(self) -> list[int]:
        return sorted(set(self.revisions) | {g.year for g in self.goals.values()})

    def previous_year(self, year: int) -> int | None:
        earlier = [y for y in self.years if y < year]
        return max(earlier) if earlier else None

    def next_year(self, year: int) -> int | None:
        later = [y for y in self.years if y > year]
        return min(later) if later else None

    def goals_of(self, year: int) -> list[KnownGoal]:
        return [g for g in self.goals.values() if g.year == year]

    def indicators_of(self, year: int, *, withdrawn: bool = False) -> list[KnownIndicator]:
        return [i for i in self.indicators.values() if i.year == year and (withdrawn or not i.withdrawn)]

    def awaiting(self, code: str) -> bool:
        """The item's lineage is open: it left to a specialty list whose destination is not known,
        or it is a specialty item of a year followed by a year whose specialty list is pending.
        A later year may then link to it directly (no ``reinstated`` needed)."""
        if code in self.retired or code in self.continued:
            return False
        if code in self.moved_unknown:
            return True
        item = self.goals.get(code) or self.indicators.get(code)
        if item is None:
            return False
        goal = self.goals.get(item.goal_code) if isinstance(item, KnownIndicator) else item
        following = self.next_year(item.year)
        return goal is not None and goal.list == "specialty" and following in self.pending_years

    def add_file(self, catalog: CatalogFile) -> None:
        year = catalog.year
        self.revisions[year] = catalog.revision or 1
        if catalog.specialty_list == "pending":
            self.pending_years.add(year)
        for s in catalog.specialties:
            self.specialties[s.code] = KnownSpecialty(s.code, s.seq, s.name, s.name_en)
        for g in catalog.goals:
            self.goals[g.code] = KnownGoal(g.code, year, g.list, g.number, g.direction)
            for i in g.indicators:
                self.indicators[i.code] = KnownIndicator(i.code, year, g.code, i.direction)
            for e in [*g.lineage, *(e for i in g.indicators for e in i.lineage)]:
                if e.from_:
                    self.continued.add(e.from_)
        for w in catalog.withdrawn:
            old = self.indicators.get(w.code)
            if old is not None:
                self.indicators[w.code] = replace(old, withdrawn=True)
        for r in [*catalog.retired.goals, *catalog.retired.indicators]:
            target = self.moved_unknown if r.moved_to_specialty else self.retired
            target[r.code] = year
            if r.code in self.goals:
                for ind in self.indicators.values():
                    if ind.goal_code == r.code:
                        target[ind.code] = year

    def without_year(self, year: int) -> KnownCatalog:
        """The context a new revision of ``year`` is validated in: ``year``'s own items and the
        relations its file recorded (retirements, moves) are left out."""
        return KnownCatalog(
            goals={c: g for c, g in self.goals.items() if g.year != year},
            indicators={c: i for c, i in self.indicators.items() if i.year != year},
            specialties=dict(self.specialties),
            retired={c: y for c, y in self.retired.items() if y != year},
            moved_unknown={c: y for c, y in self.moved_unknown.items() if y != year},
            continued=set(self.continued),  # over-approximate: only used to close `awaiting`
            revisions={y: r for y, r in self.revisions.items() if y != year},
            pending_years=self.pending_years - {year},
        )

    def copy(self) -> KnownCatalog:
        return self.without_year(-1)

    @classmethod
    def from_files(cls, catalogs: Iterable[CatalogFile]) -> KnownCatalog:
        """The context of several files; of several revisions of a year the highest counts."""
        known = cls()
        for catalog in _latest(catalogs):
            known = known.without_year(catalog.year) if catalog.year in known.revisions else known
            known.add_file(catalog)
        return known

    def merged_with(self, catalogs: Iterable[CatalogFile]) -> KnownCatalog:
        """This context plus other files; a file of a year already known replaces that year when its
        revision is higher, and is ignored otherwise."""
        known = self.copy()
        for catalog in _latest(catalogs):
            current = known.revisions.get(catalog.year)
            if current is None:
                known.add_file(catalog)
            elif (catalog.revision or 1) > current:
                known = known.without_year(catalog.year)
                known.add_file(catalog)
        return known


def _latest(catalogs: Iterable[CatalogFile]) -> list[CatalogFile]:
    return sorted(catalogs, key=lambda c: (c.year, c.revision or 1))
