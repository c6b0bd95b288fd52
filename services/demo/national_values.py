"""Synthetic quarterly values at national scale, vectorised with numpy (one array per indicator).

Same model as the small demo (``values.py``): a quality effect per hospital on the logit scale
(every 11th hospital a clear laggard, others improving quarter by quarter), volumes scaled by beds,
a plausible base value per indicator (the demo's profile where it has one, else a default by kind
and direction). Nested indicators stay ordered and share their denominator, proportions keep
numerator ≤ denominator: the platform's own validation accepts every row. Deterministic: each
(quarter, indicator) draws from its own seeded stream. Synthetic: not real hospital data.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from services.core.quarter import Quarter
from services.demo.values import NESTED, PROFILE, IndicatorSpec, reports

# The order in which nested pairs are reconciled: widest first, so a chain IV.1 ≤ IV.2 ≤ IV.3 holds.
NEST_ORDER = ("NIT-2023-IV.2", "NIT-2023-IV.1", "NIT-2023-VIII.1", "NIT-2022-VI.1")


@dataclass(frozen=True)
class HospitalArrays:
    beds: np.ndarray  # int64, one per hospital
    effect: np.ndarray  # logit-scale quality effect
    trend: np.ndarray  # change of the effect per quarter
    types: list[str]

    @cached_property
    def type_array(self) -> np.ndarray:
        return np.asarray(self.types)


def hospital_arrays(beds: list[int], types: list[str], seed: int = 7) -> HospitalArrays:
    rng = np.random.default_rng(seed)
    n = len(beds)
    effect, trend = rng.normal(0, 0.3, n), np.zeros(n)
    index = np.arange(n)
    effect[index % 11 == 3] = -1.4  # clear laggards
    improving = index % 11 == 7
    effect[improving], trend[improving] = -0.9, 0.18
    return HospitalArrays(np.asarray(beds, dtype=np.int64), effect, trend, list(types))


def profile(spec: IndicatorSpec) -> tuple[float, float]:
    """(base value, denominator volume per 100 beds per quarter) for ``spec``."""
    if spec.code in PROFILE:
        return PROFILE[spec.code]
    jitter = (zlib.crc32(spec.code.encode()) % 1000) / 1000  # stable per code, in [0, 1)
    if spec.kind == "proportion":
        return (0.65 + 0.25 * jitter if spec.direction == "higher" else 0.02 + 0.1 * jitter), 10 + 40 * jitter
    if spec.kind == "rate":
        return 0.5 + 2 * jitter, 200 + 800 * jitter
    return 1 + 5 * jitter, 50 + 200 * jitter


def _stream(seed: int, quarter: Quarter, code: str) -> np.random.Generator:
    return np.random.default_rng([seed, quarter.year, quarter.q, zlib.crc32(code.encode())])


def indicator_values(
    spec: IndicatorSpec, quality: np.ndarray, beds: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(numerators, denominators) of one indicator for every hospital."""
    base, volume = profile(spec)
    denominator = rng.poisson(volume * beds / 100)
    sign = 1 if spec.direction == "higher" else -1
    if spec.kind == "proportion":
        p = 1 / (1 + np.exp(-(np.log(base / (1 - base)) + sign * quality)))
        numerator = rng.binomial(denominator, p)
    elif spec.kind == "rate":
        numerator = rng.poisson(base / spec.multiplier * denominator * np.exp(sign * quality * 0.5))
    else:
        mean = denominator * base * np.exp(sign * quality * 0.15) * rng.lognormal(0, 0.05, len(beds))
        numerator = np.round(mean).astype(np.int64)
    return numerator.astype(np.int64), denominator.astype(np.int64)


def quarter_values(
    hospitals: HospitalArrays, specs: list[IndicatorSpec], quarter: Quarter, t: int, seed: int = 11
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """indicator code → (numerators, denominators, reported mask) for every hospital in ``quarter``."""
    quality = hospitals.effect + hospitals.trend * t
    out = {}
    for spec in specs:
        numerator, denominator = indicator_values(
            spec, quality, hospitals.beds, _stream(seed, quarter, spec.code)
        )
        mask = np.ones(len(hospitals.beds), dtype=bool)
        for kind in set(hospitals.types) - {"综合"}:
            if not reports_type(kind, spec.code):
                mask &= hospitals.type_array != kind
        out[spec.code] = (numerator, denominator, mask)
    _nest(out)
    return out


def reports_type(hospital_type: str, code: str) -> bool:
    return reports(_TypeOnly(hospital_type), code)  # the demo's rule: maternity hospitals skip some goals


@dataclass(frozen=True)
class _TypeOnly:
    type: str


def _nest(values: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """The narrower window counts a subset of the wider one, over the same denominator."""
    for small in NEST_ORDER:
        large = NESTED[small]
        if small in values and large in values:
            big_n, denominator, _ = values[large]
            small_n, _, mask = values[small]
            values[small] = (np.minimum(small_n, big_n), denominator, mask)
