"""Deterministic synthetic quarterly values for the demo (2022Q1–2023Q4).

Each hospital has a quality effect (some clearly lagging, some improving over time) and volumes
scaled by its beds; each indicator has a plausible base value. Nested indicators keep their
order (deaths within 48 h ≥ within 24 h ≥ on the day; 6 h bundles ≥ 3 h ≥ 1 h), so the data pass
the platform's own validation rules. Synthetic: not real hospital data.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from services.core.quarter import Quarter, quarter_range
from services.demo.registry_data import DemoHospital

FIRST, LAST = Quarter(2022, 1), Quarter(2023, 4)
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


def reports(hospital: DemoHospital, code: str) -> bool:
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


def _value(rng: random.Random, spec: IndicatorSpec, beds: int, quality: float) -> tuple[int, int]:
    base, volume = PROFILE[spec.code]
    denominator = _poisson(rng, volume * beds / 100)
    sign = 1 if spec.direction == "higher" else -1
    if spec.kind == "proportion":
        numerator = min(denominator, max(0, _proportion(rng, denominator, base, sign * quality)))
    elif spec.kind == "rate":
        numerator = _poisson(rng, base / spec.multiplier * denominator * math.exp(sign * quality * 0.5))
    else:
        numerator = max(
            0, round(denominator * base * math.exp(sign * quality * 0.15) * rng.lognormvariate(0, 0.05))
        )
    return numerator, denominator


def generate_values(
    hospitals: list[DemoHospital], indicators: list[IndicatorSpec], seed: int = 11
) -> list[DemoValue]:
    rng = random.Random(seed)
    effects = hospital_effects(hospitals)
    by_year = {y: [s for s in indicators if s.year == y and s.code in PROFILE] for y in (2022, 2023)}
    out: list[DemoValue] = []
    for t, quarter in enumerate(quarter_range(FIRST, LAST)):
        for h in hospitals:
            effect, trend = effects[h.key]
            quality = effect + trend * t
            values = {}
            for spec in by_year[quarter.year]:
                if reports(h, spec.code):
                    values[spec.code] = _value(rng, spec, h.beds, quality)
            _nest(values, rng)
            out.extend(DemoValue(h.key, quarter, code, n, d) for code, (n, d) in values.items())
    return out


def _nest(values: dict[str, tuple[int, int]], rng: random.Random) -> None:
    """Make nested counts consistent: the smaller window counts a subset of the larger one."""
    for small in ("NIT-2023-IV.2", "NIT-2023-IV.1", "NIT-2023-VIII.1", "NIT-2022-VI.1"):
        large = NESTED[small]
        if small in values and large in values:
            big_n, denominator = values[large]
            small_n = min(values[small][0], big_n)
            values[small] = (small_n, denominator)


def status_for(index: int, quarter: Quarter) -> str | None:
    """Review status of a hospital's quarter; None = nothing submitted (missing)."""
    if quarter == Quarter(2023, 2) and index % 13 == 5:
        return None
    if quarter < LAST:
        return "approved"
    if index % 10 == 6:
        return None
    if index % 9 == 4:
        return "returned"
    return "submitted" if index % 7 == 0 else "approved"
