"""What a funnel decides: signals, one-sided p-values, q-values, φ and τ² (no drawing).

stats_funnel.funnel() adds the intervals and the limits it draws; bench/false_alarms.py runs
assess() alone. Methods and references: stats_funnel's docstring and docs/methods.md §4–§5, §9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

from services.benchmark.stats_dispersion import arcsine_z, dispersion_from, overdispersion_detected, sqrt_z
from services.benchmark.stats_exact import binomial_tails, poisson_tails, tail_z
from services.benchmark.stats_fdr import benjamini_hochberg, classify_q
from services.benchmark.stats_intervals import (
    Z95,
    Z998,
    Direction,
    as_counts,
    check_direction,
    count_interval,
)

SIGNALS = ("worse_998", "worse_95", "none", "better_95", "better_998", "insufficient")
MEASURES = ("proportion", "rate", "ratio")
LIMITS = ("exact", "normal")
# A unit exactly on a limit is not outside it; this absorbs float rounding on the z scale.
Z_TOLERANCE = 1e-9


def pooled_target(numerators: ArrayLike, denominators: ArrayLike) -> float:
    """sum(x) / sum(n) over units with n > 0; NaN when there is no denominator at all."""
    x, n = as_counts(numerators, denominators, proportion=False)
    total = float(n[n > 0].sum())
    return float(x[n > 0].sum()) / total if total > 0 else float("nan")


def normal_z(rate: np.ndarray, target: float, denominators: np.ndarray) -> np.ndarray:
    """(p − target) / sqrt(target(1−target)/n); ±inf when the target is 0 or 1 and p differs."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(target * (1 - target) / n)
        z = (rate - target) / se
    return np.where(rate == target, 0.0, z)


def classify(z: np.ndarray, eligible: np.ndarray, direction: Direction) -> np.ndarray:
    """Direction-aware signal; strict inequality with a tiny tolerance, so on-the-limit is 'none'."""
    worse_sign = -1.0 if direction == "higher" else 1.0
    towards_worse = worse_sign * z
    signal = np.full(z.shape, "none", dtype=object)
    signal[towards_worse > Z95 + Z_TOLERANCE] = "worse_95"
    signal[towards_worse > Z998 + Z_TOLERANCE] = "worse_998"
    signal[-towards_worse > Z95 + Z_TOLERANCE] = "better_95"
    signal[-towards_worse > Z998 + Z_TOLERANCE] = "better_998"
    signal[~eligible] = "insufficient"
    return signal


def _check_options(measure: str, limits: str, direction: str) -> None:
    check_direction(direction)
    if measure not in MEASURES:
        raise ValueError(f"measure 必须是 {'/'.join(MEASURES)} / measure must be one of {MEASURES}")
    if limits not in LIMITS:
        raise ValueError(
            f"limits 必须是 exact 或 normal / limits must be 'exact' or 'normal', got {limits!r}"
        )


def _inputs(
    measure: str, numerators: ArrayLike, denominators: ArrayLike, target: float | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """(x, n, centre) validated for the measure; counts for rate/ratio must be whole numbers."""
    x, n = as_counts(numerators, denominators, proportion=measure == "proportion")
    if measure != "proportion" and np.any(x != np.round(x)):
        item = int(np.argmax(x != np.round(x))) + 1
        raise ValueError(f"第 {item} 项: 事件数必须是整数 / item {item}: event count must be a whole number")
    if target is not None:
        centre = float(target)
    else:
        centre = 1.0 if measure == "ratio" else pooled_target(x, n)
    if measure == "proportion" and not 0.0 <= centre <= 1.0:
        raise ValueError(f"目标值必须在 0 与 1 之间 / target must be within [0, 1], got {target}")
    if measure != "proportion" and not centre >= 0.0:
        raise ValueError(f"目标值必须为非负数 / target must be non-negative, got {target}")
    return x, n, centre


def _unadjusted_z(
    measure: str, x: np.ndarray, n: np.ndarray, rate: np.ndarray, centre: float
) -> tuple[np.ndarray, np.ndarray]:
    """(z used for φ/τ², its weights 1/s²) on the over-dispersion scale of the measure."""
    if measure == "proportion":
        return arcsine_z(rate, centre, n), 4 * n
    return sqrt_z(x, centre * n), 4 * centre * n


def _phe_signal(
    x: np.ndarray, n: np.ndarray, centre: float, eligible: np.ndarray, direction: str
) -> np.ndarray:
    """PHEindicatormethods assign_funnel_significance for rates/ratios: the unit's own interval
    (exact below 10 events, Byar from 10; lower limit 0 when O = 0) against the target."""
    high_side = np.full(x.shape, "none", dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        for level, tag in ((0.95, "95"), (0.998, "998")):
            low, high = count_interval(x, level)
            high_side[centre * n < low] = f"high_{tag}"
            high_side[centre * n > high] = f"low_{tag}"
    up, down = ("better", "worse") if direction == "higher" else ("worse", "better")
    names = {"high_95": f"{up}_95", "high_998": f"{up}_998", "low_95": f"{down}_95", "low_998": f"{down}_998"}
    signal = np.array([names.get(s, "none") for s in high_side], dtype=object)
    signal[~eligible] = "insufficient"
    return signal


def _tests(
    measure: str,
    limits: str,
    x: np.ndarray,
    n: np.ndarray,
    rate: np.ndarray,
    centre: float,
    tau2: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(z, p_upper, p_lower, limits_method): the test statistic and one-sided p-values."""
    if tau2 is not None:
        z = arcsine_z(rate, centre, n, tau2) if measure == "proportion" else sqrt_z(x, centre * n, tau2)
        method = "arcsine_overdispersed" if measure == "proportion" else "sqrt_overdispersed"
        return z, sps.norm.sf(z), sps.norm.cdf(z), method
    if measure == "proportion" and limits == "normal":
        z = normal_z(rate, centre, n)
        return z, sps.norm.sf(z), sps.norm.cdf(z), "normal"
    if measure == "proportion":
        upper, lower = binomial_tails(x, n, centre)
        method = "exact_binomial"
    else:
        upper, lower = poisson_tails(x, centre * n)
        method = "poisson_exact_byar" if limits == "normal" else "poisson_exact"
    return tail_z(upper, lower), upper, lower, method


@dataclass(frozen=True)
class Assessment:
    """What funnel() decides, without the intervals and limits it draws (the simulation's core)."""

    x: np.ndarray
    n: np.ndarray
    rate: np.ndarray
    eligible: np.ndarray
    target: float
    z: np.ndarray
    signal: np.ndarray
    p_worse: np.ndarray
    p_better: np.ndarray
    q_worse: np.ndarray
    q_better: np.ndarray
    signal_fdr: np.ndarray
    phi: float
    tau2: float
    adjusted: bool
    beyond: bool
    method: str


def assess(
    numerators: ArrayLike,
    denominators: ArrayLike,
    *,
    measure: str = "proportion",
    target: float | None = None,
    direction: Direction = "higher",
    overdispersion: bool | str = False,
    min_denominator: float = 1,
    limits: str = "exact",
) -> Assessment:
    """Signals, p- and q-values, φ and τ² of a funnel (see funnel())."""
    _check_options(measure, limits, direction)
    x, n, centre = _inputs(measure, numerators, denominators, target)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / n, np.nan)
    eligible = (n > 0) & (n >= min_denominator)
    z0, weights = _unadjusted_z(measure, x, n, rate, centre)
    phi, tau2 = dispersion_from(z0[eligible], weights[eligible])
    beyond = overdispersion_detected(phi, int(eligible.sum()))
    if isinstance(overdispersion, str) and overdispersion != "auto":
        raise ValueError(
            f"overdispersion 必须是 True、False 或 'auto' / must be True, False or 'auto', got {overdispersion!r}"
        )
    wanted = beyond if overdispersion == "auto" else bool(overdispersion)
    adjusted = bool(wanted and tau2 > 0)
    z, p_upper, p_lower, method = _tests(measure, limits, x, n, rate, centre, tau2 if adjusted else None)
    z = np.where(n > 0, z, np.nan)
    if measure != "proportion" and limits == "normal" and not adjusted:
        signal = _phe_signal(x, n, centre, eligible, direction)
    else:
        signal = classify(z, eligible, direction)
    p_worse, p_better = (p_lower, p_upper) if direction == "higher" else (p_upper, p_lower)
    p_worse = np.where(eligible, p_worse, np.nan)
    p_better = np.where(eligible, p_better, np.nan)
    q_worse, q_better = benjamini_hochberg(p_worse), benjamini_hochberg(p_better)
    return Assessment(
        x, n, rate, eligible, centre, z, signal, p_worse, p_better, q_worse, q_better,
        classify_q(q_worse, q_better, eligible), phi, tau2, adjusted, beyond, method,
    )  # fmt: skip
