"""Distribution of unit rates: percentiles and a direction-aware percentile rank."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from services.benchmark.stats_intervals import Direction, as_counts, check_direction

PERCENTILES = (10, 25, 50, 75, 90)


def _eligible_rates(
    numerators: ArrayLike, denominators: ArrayLike, min_denominator: float
) -> tuple[np.ndarray, np.ndarray]:
    x, n = as_counts(numerators, denominators, proportion=False)  # rates per N may exceed 1
    eligible = (n > 0) & (n >= min_denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(eligible, x / n, np.nan)
    return rate, eligible


def rate_percentiles(
    numerators: ArrayLike, denominators: ArrayLike, *, min_denominator: float = 1
) -> dict[int, float]:
    """P10/P25/P50/P75/P90 of unit rates over units with n > 0 (and n >= min_denominator).

    Linear interpolation between order statistics (Hyndman & Fan type 7, R's default quantile and
    numpy's 'linear'). With no eligible unit every percentile is NaN.
    """
    rate, eligible = _eligible_rates(numerators, denominators, min_denominator)
    values = rate[eligible]
    if values.size == 0:
        return {p: float("nan") for p in PERCENTILES}
    return {p: float(q) for p, q in zip(PERCENTILES, np.percentile(values, PERCENTILES), strict=True)}


def percentile_rank(
    numerators: ArrayLike,
    denominators: ArrayLike,
    *,
    direction: Direction = "higher",
    min_denominator: float = 1,
) -> np.ndarray:
    """Rank 0–100 among eligible units, 100 = best, 0 = worst; ties share the mid-rank.

    rank = 100 · (units strictly worse + ½ · other units tied) / (k − 1), k = eligible units.
    Ineligible units (n = 0 or n < min_denominator) and any unit when k < 2 get NaN.
    """
    check_direction(direction)
    rate, eligible = _eligible_rates(numerators, denominators, min_denominator)
    k = int(eligible.sum())
    result = np.full(rate.shape, np.nan)
    if k < 2:
        return result
    values = rate[eligible] if direction == "higher" else -rate[eligible]
    ordered = np.sort(values)
    below = np.searchsorted(ordered, values, side="left")
    ties = np.searchsorted(ordered, values, side="right") - below - 1
    result[eligible] = 100.0 * (below + 0.5 * ties) / (k - 1)
    return result
