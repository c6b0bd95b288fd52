"""Deterministic synthetic quarterly values for the demo: every quarter 2022Q1–2023Q4, and the
third quarter of every later published catalog year (2024Q3, 2025Q3, 2026Q3 with the shipped
catalogs), so year-over-year follows the lineage from 2022 to the latest year.

Indicators of 2022/2023 have hand-set profiles (``PROFILE``); an indicator of a later year (or one a
revision added) inherits the profile of its predecessor along the catalog lineage, else a generic
one by kind and direction, and draws from its own random stream, so the 2022/2023 values never
change when catalogs are added. Each hospital has a quality effect (some clearly lagging, some improving over time) and volumes
scaled by its beds; each indicator has a plausible base value. Nested indicators keep their
order (deaths within 48 h ≥ within 24 h ≥ on the day; 6 h bundles ≥ 3 h ≥ 1 h), so the data pass
the platform's own validation rules. Synthetic: not real hospital data.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Protocol

from services.core.quarter import Quarter, quarter_range
from services.demo.registry_data import DemoHospital

FIRST, LAST = Quarter(2022, 1), Quarter(2023, 4)
LATER_QUARTER = 3  # the quarter with values in each year after LAST's year
SPECIALTY_GOALS = ("PIT-2023-15", "PIT-2023-16", "PIT-2023-18", "PIT-2023-24", "PIT-2023-37", "PIT-2023-39")

# indicator code → (base value, denominator volume per 100 beds per quarter). Base is a proportion,
# a rate per the indicator's multiplier, or a mean (ratio kinds).
PROFILE: dict[str, tuple[float, float]] = {
    "NIT-2022-I.1": (0.70, 5),
    "NIT-2023-I.1": (0.72, 5),
    "NIT-2022-II.1": (0.30, 10),
    "NIT-2023-II.1": (0.32, 10),
    "NIT-2022-III.1": (0.80, 40),
    "NIT-2023-III.1": (0.82, 40),
    "NIT-2022-IV.1": (0.55, 60),
    "NIT-2022-IV.2": (0.70, 20),
    "NIT-2022-V.1": (0.72, 150),
    "NIT-2023-IX.1": (0.70, 150),
    "NIT-2022-VI.1": (0.45, 2),
    "NIT-2022-VI.2": (0.65, 2),
    "NIT-2023-VIII.1": (0.66, 2),
    "NIT-2023-VIII.2": (0.80, 2),
    "NIT-2022-VII.1": (2.5, 900),
    "NIT-2023-V.1": (2.7, 900),
    "NIT-2022-VIII.1": (0.0025, 250),
    "NIT-2022-IX.1": (0.80, 900),
    "NIT-2022-IX.2": (5.0, 700),
    "NIT-2022-IX.3": (1.6, 8500),
    "NIT-2022-IX.4": (900.0, 8500),
    "NIT-2023-VI.1": (0.78, 900),
    "NIT-2023-VI.2": (2.2, 8500),
    "NIT-2023-VI.3": (880.0, 8500),
    "NIT-2023-VI.4": (1.5, 8500),
    "NIT-2023-IV.1": (0.0007, 250),
    "NIT-2023-IV.2": (0.0011, 250),
    "NIT-2023-IV.3": (0.0015, 250),
    "NIT-2023-VII.1": (0.82, 8),
    "NIT-2022-X.1": (0.045, 40),
    "NIT-2023-X.1": (0.043, 40),
    "NIT-2023-X.2": (0.025, 40),
    "PIT-2023-15.1": (1.2, 1500),
    "PIT-2023-15.2": (2.0, 300),
    "PIT-2023-16.1": (0.0015, 900),
    "PIT-2023-18.1": (6.5, 60),
    "PIT-2023-24.1": (0.55, 900),
    "PIT-2023-37.1": (0.60, 60),
    "PIT-2023-37.2": (0.75, 20),
    "PIT-2023-37.3": (0.80, 10),
    "PIT-2023-39.1": (0.35, 1),
}
# The shape the hand-set values were drawn with, where a catalog revision later changed the kind
# (counts per bed-day were "ratio" in revision 1 and are rates since): the counts a hospital
# reports are the same either way, and drawing them as before keeps every demo value unchanged.
DRAWN_AS = {
    "NIT-2022-IX.2": "ratio",
    "NIT-2022-IX.3": "ratio",
    "NIT-2022-IX.4": "ratio",
    "NIT-2023-VI.2": "ratio",
    "NIT-2023-VI.3": "ratio",
    "NIT-2023-VI.4": "ratio",
}
# (smaller, larger) pairs sharing a denominator: the larger count includes the smaller.
NESTED = {
    "NIT-2023-IV.2": "NIT-2023-IV.3",
    "NIT-2023-IV.1": "NIT-2023-IV.2",
    "NIT-2023-VIII.1": "NIT-2023-VIII.2",
    "NIT-2022-VI.1": "NIT-2022-VI.2",
}
NOT_FOR_MATERNITY = ("-I.", "-II.", "-III.", "-VI.", "-VIII.", "-IV.", "PIT-2023-39")


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    year: int
    kind: str  # proportion | rate | ratio
    direction: str  # higher | lower
    multiplier: int


@dataclass(frozen=True)
class DemoValue:
    hospital: str
    quarter: Quarter
    indicator: str
    numerator: int
    denominator: int


def hospital_effects(hospitals: list[DemoHospital], seed: int = 7) -> dict[str, tuple[float, float]]:
    """(effect, trend per quarter) on the logit scale; positive = better. Some lag, some improve."""
    rng = random.Random(seed)
    out = {}
    for i, h in enumerate(hospitals):
        effect, trend = rng.gauss(0, 0.3), 0.0
        if i % 11 == 3:
            effect = -1.4  # a clear laggard
        elif i % 11 == 7:
            effect, trend = -0.9, 0.18  # improving quarter by quarter
        out[h.key] = (effect, trend)
    return out


class _HasType(Protocol):
    @property
    def type(self) -> str: ...


def reports(hospital: _HasType, code: str) -> bool:
    if hospital.type == "妇幼保健":
        return not any(part in code for part in NOT_FOR_MATERNITY)
    return True


def _proportion(rng: random.Random, n: int, base: float, shift: float) -> int:
    logit = math.log(base / (1 - base)) + shift
    p = 1 / (1 + math.exp(-logit))
    return (
        sum(1 for _ in range(n) if rng.random() < p)
        if n < 400
        else round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))
    )


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, prod = math.exp(-mean), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def _value(
    rng: random.Random, spec: IndicatorSpec, beds: int, quality: float, profile: tuple[float, float]
) -> tuple[int, int]:
    base, volume = profile
    denominator = _poisson(rng, volume * beds / 100)
    sign = 1 if spec.direction == "higher" else -1
    kind = DRAWN_AS.get(spec.code, spec.kind)
    if kind == "proportion":
        numerator = min(denominator, max(0, _proportion(rng, denominator, base, sign * quality)))
    elif kind == "rate":
        numerator = _poisson(rng, base / spec.multiplier * denominator * math.exp(sign * quality * 0.5))
    else:
        numerator = max(
            0, round(denominator * base * math.exp(sign * quality * 0.15) * rng.lognormvariate(0, 0.05))
        )
    return numerator, denominator


# generic profiles by (kind, direction) for indicators with no profiled predecessor
GENERIC: dict[tuple[str, str], tuple[float, float]] = {
    ("proportion", "higher"): (0.75, 40),
    ("proportion", "lower"): (0.05, 60),
    ("rate", "higher"): (3.0, 900),
    ("rate", "lower"): (1.5, 900),
    ("ratio", "higher"): (6.0, 200),
    ("ratio", "lower"): (3.0, 200),
}


def demo_quarters(years: list[int]) -> list[Quarter]:
    """2022Q1–2023Q4, then the third quarter of every later year in ``years``."""
    later = [Quarter(y, LATER_QUARTER) for y in sorted(years) if y > LAST.year]
    return [*quarter_range(FIRST, LAST), *later]


def generate_values(
    hospitals: list[DemoHospital],
    indicators: list[IndicatorSpec],
    seed: int = 11,
    *,
    quarters: list[Quarter] | None = None,
    profiles: dict[str, tuple[float, float]] | None = None,
    nested: dict[str, str] | None = None,
) -> list[DemoValue]:
    """Values of every hospital × quarter × profiled indicator of the quarter's year. ``profiles``
    and ``nested`` extend ``PROFILE`` and ``NESTED`` (indicators of later years)."""
    rng = random.Random(seed)
    effects = hospital_effects(hospitals)
    profiles = {**(profiles or {}), **PROFILE}
    nested = {**NESTED, **(nested or {})}
    quarters = quarters or list(quarter_range(FIRST, LAST))
    by_year = {
        y: [s for s in indicators if s.year == y and s.code in profiles] for y in {q.year for q in quarters}
    }
    out: list[DemoValue] = []
    for t, quarter in enumerate(quarters):
        for h in hospitals:
            effect, trend = effects[h.key]
            quality = effect + trend * t
            values = {}
            for spec in by_year[quarter.year]:
                if not reports(h, spec.code):
                    continue
                # hand-profiled indicators share the main stream (their values stay as they were);
                # every other one has its own, so adding catalogs never shifts the others
                own = rng if spec.code in PROFILE else random.Random(f"{seed}:{h.key}:{quarter}:{spec.code}")
                values[spec.code] = _value(own, spec, h.beds, quality, profiles[spec.code])
            _nest(values, nested)
            out.extend(DemoValue(h.key, quarter, code, n, d) for code, (n, d) in values.items())
    return out


def _nest(values: dict[str, tuple[int, int]], nested: dict[str, str]) -> None:
    """Make nested counts consistent: the smaller window counts a subset of the larger one
    (widest pairs first, so a chain IV.1 ⊂ IV.2 ⊂ IV.3 holds)."""
    order = sorted(nested, key=lambda small: _depth(small, nested))
    for small in order:
        large = nested[small]
        if small in values and large in values:
            big_n, denominator = values[large]
            small_n = min(values[small][0], big_n)
            values[small] = (small_n, denominator)


def _depth(code: str, nested: dict[str, str]) -> int:
    depth = 0
    while code in nested and depth < 10:
        code, depth = nested[code], depth + 1
    return depth


def status_for(index: int, quarter: Quarter) -> str | None:
    """Review status of a hospital's quarter; None = nothing submitted (missing)."""
    if quarter == Quarter(2023, 2) and index % 13 == 5:
        return None
    if quarter < LAST or quarter.year > LAST.year:
        return "approved"
    if index % 10 == 6:
        return None
    if index % 9 == 4:
        return "returned"
    return "submitted" if index % 7 == 0 else "approved"
