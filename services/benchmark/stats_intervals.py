"""Confidence intervals for single proportions, Poisson rates, means and differences.

Pure, vectorised functions over numpy arrays; no database, no I/O. Conventions follow the UK
public health indicator methods (R package PHEindicatormethods) unless docs/methods.md says
otherwise. A denominator of 0 never yields a rate of 0: every statistic for it is NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

Direction = Literal["higher", "lower"]

# Two-sided 95% and 99.8% normal quantiles (PHE/FunnelPlotR use 1.959964 and 3.090232).
Z95: float = float(sps.norm.ppf(0.975))
Z998: float = float(sps.norm.ppf(0.999))

# Below this count the exact Poisson limits are used, from it on Byar's approximation (PHE phe_rate).
BYARS_MIN_COUNT = 10


@lru_cache(maxsize=64)
def z_for(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level given as 0.95 or 95 (a handful of levels are
    used: cached, scipy's ppf costs ~0.3 ms a call and a province's flags make hundreds)."""
    level = confidence / 100 if confidence > 1 else confidence
    if not 0 < level < 1:
        raise ValueError(f"置信水平必须在 0 与 1 之间 / confidence must be in (0, 1), got {confidence}")
    return float(sps.norm.ppf(0.5 + level / 2))


def _alpha(confidence: float) -> float:
    level = confidence / 100 if confidence > 1 else confidence
    if not 0 < level < 1:
        raise ValueError(f"置信水平必须在 0 与 1 之间 / confidence must be in (0, 1), got {confidence}")
    return 1.0 - level


def as_counts(
    numerators: ArrayLike, denominators: ArrayLike, *, proportion: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert to float arrays; raises ValueError naming the first bad position."""
    x = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    if x.shape != n.shape:
        raise ValueError("分子与分母长度不一致 / numerators and denominators differ in length")
    checks = [
        (~np.isfinite(x) | (x < 0), "分子必须是非负有限数 / numerator must be a non-negative finite number"),
        (
            ~np.isfinite(n) | (n < 0),
            "分母必须是非负有限数 / denominator must be a non-negative finite number",
        ),
    ]
    if proportion:
        checks.append((x > n, "分子不能大于分母 / numerator must not exceed denominator"))
    for bad, message in checks:
        if np.any(bad):
            item = int(np.argmax(bad)) + 1
            raise ValueError(f"第 {item} 项: {message} (item {item})")
    return x, n


def wilson_interval(
    numerators: ArrayLike, denominators: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (Wilson 1927; Newcombe 1998 method 3), the PHE wilson_lower/upper formula.

    x = 0 gives a lower limit of exactly 0 and x = n an upper limit of exactly 1; n = 0 gives NaN.
    """
    x, n = as_counts(numerators, denominators)
    z = z_for(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, x / n, np.nan)
        root = z * np.sqrt(z * z + 4 * x * (1 - p))
        low = (2 * x + z * z - root) / (2 * (n + z * z))
        high = (2 * x + z * z + root) / (2 * (n + z * z))
    low = np.where(x == 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(x == n, 1.0, np.clip(high, 0.0, 1.0))
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def poisson_exact_interval(counts: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) limits for a Poisson count: chi2(a/2, 2x)/2 and chi2(1-a/2, 2x+2)/2."""
    x = np.asarray(counts, dtype=float)
    a = _alpha(confidence)
    with np.errstate(invalid="ignore"):
        low = np.where(x > 0, sps.gamma.ppf(a / 2, np.where(x > 0, x, 1.0)), 0.0)
        high = sps.gamma.ppf(1 - a / 2, x + 1)
    return low, high


def byars_interval(counts: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation (Breslow & Day 1987), the PHE byars_lower/byars_upper formula."""
    x = np.asarray(counts, dtype=float)
    z = z_for(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        high = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    return np.where(x > 0, low, 0.0), high


def count_interval(counts: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Limits for a count: exact below BYARS_MIN_COUNT, Byar's from it on (PHE phe_rate)."""
    x = np.asarray(counts, dtype=float)
    exact_low, exact_high = poisson_exact_interval(x, confidence)
    byars_low, byars_high = byars_interval(x, confidence)
    small = x < BYARS_MIN_COUNT
    return np.where(small, exact_low, byars_low), np.where(small, exact_high, byars_high)


def rate_interval(
    counts: ArrayLike, exposures: ArrayLike, *, multiplier: float = 1.0, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate per `multiplier` units of exposure with its interval; exposure 0 gives NaN (no cases)."""
    x, n = as_counts(counts, exposures, proportion=False)
    low, high = count_interval(x, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n > 0, multiplier / n, np.nan)
    return x * scale, low * scale, high * scale


def mean_interval(
    totals: ArrayLike, counts: ArrayLike, sum_squares: ArrayLike, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean = total / n with a Student t interval from the sum of squares (PHE phe_mean).

    sd = sqrt((sum_squares - total^2 / n) / (n - 1)); limits mean ± t(n-1) * sd / sqrt(n).
    n < 2 gives a NaN interval (no spread can be estimated); n = 0 also a NaN mean.
    """
    t = np.asarray(totals, dtype=float)
    n = np.asarray(counts, dtype=float)
    ss = np.asarray(sum_squares, dtype=float)
    a = _alpha(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, t / n, np.nan)
        variance = np.clip((ss - t * t / n) / (n - 1), 0.0, None)  # rounding can push it below 0
        half = sps.t.ppf(1 - a / 2, np.where(n > 1, n - 1, 1.0)) * np.sqrt(variance / n)
    half = np.where(n > 1, half, np.nan)
    return mean, mean - half, mean + half


def ratio_interval(
    totals: ArrayLike,
    counts: ArrayLike,
    *,
    sum_squares: ArrayLike | None = None,
    multiplier: float = 1.0,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean or ratio (e.g. ED hours per patient, mL per bed-day) with an interval.

    With sum_squares: Student t (mean_interval). Without: the total is treated as a Poisson count
    over the exposure `counts` (rate_interval), which is only valid when the total counts events.
    """
    if sum_squares is not None:
        mean, low, high = mean_interval(totals, counts, sum_squares, confidence=confidence)
        return mean * multiplier, low * multiplier, high * multiplier
    return rate_interval(totals, counts, multiplier=multiplier, confidence=confidence)


@dataclass(frozen=True)
class ChangeResult:
    """Change current vs previous, per unit: the difference (as fractions) with its interval; for
    rates also the rate ratio with its exact interval, which decides the verdict."""

    difference: np.ndarray
    low: np.ndarray
    high: np.ndarray
    verdict: np.ndarray  # "improved" | "worsened" | "no_significant_change" | "insufficient" | …
    method: str = "newcombe_hybrid_score"
    ratio: np.ndarray | None = None  # rates only: (x1/t1) / (x0/t0)
    ratio_low: np.ndarray | None = None
    ratio_high: np.ndarray | None = None


def newcombe_difference(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newcombe (1998) hybrid score interval, method 10, for p1 − p2 from two Wilson intervals."""
    x1, n1 = as_counts(x1, n1)
    x2, n2 = as_counts(x2, n2)
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n1 > 0, x1 / n1, np.nan)
        p2 = np.where(n2 > 0, x2 / n2, np.nan)
    diff = p1 - p2
    low = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return diff, low, high


def year_over_year(
    x_now: ArrayLike,
    n_now: ArrayLike,
    x_before: ArrayLike,
    n_before: ArrayLike,
    *,
    direction: Direction = "higher",
    confidence: float = 0.95,
) -> ChangeResult:
    """Direction-aware verdict on the change from the earlier to the current period."""
    check_direction(direction)
    diff, low, high = newcombe_difference(x_now, n_now, x_before, n_before, confidence)
    up, down = ("improved", "worsened") if direction == "higher" else ("worsened", "improved")
    verdict = np.where(low > 0, up, np.where(high < 0, down, "no_significant_change"))
    verdict = np.where(np.isnan(diff), "insufficient", verdict).astype(object)
    return ChangeResult(difference=diff, low=low, high=high, verdict=verdict)


def rate_ratio_interval(
    x1: ArrayLike, t1: ArrayLike, x0: ArrayLike, t0: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratio of two Poisson rates (x1/t1) / (x0/t0) with the exact conditional interval.

    Given x1 + x0 = N, x1 ~ Binomial(N, π) with π = t1·R / (t1·R + t0); the Clopper–Pearson limits
    (πL, πU) of π give R = π/(1 − π) · t0/t1 (Breslow & Day 1987, Vol. II §2.4; the interval of R's
    poisson.test for two samples). Returns (ratio, low, high): x1 = 0 gives low 0, x0 = 0 gives
    ratio and high +inf; no events at all or an exposure of 0 gives NaN.
    """
    x1, t1 = as_counts(x1, t1, proportion=False)
    x0, t0 = as_counts(x0, t0, proportion=False)
    a = _alpha(confidence)
    total = x1 + x0
    ok = (t1 > 0) & (t0 > 0) & (total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pi_low = np.where(x1 > 0, sps.beta.ppf(a / 2, np.maximum(x1, 1e-300), x0 + 1), 0.0)
        pi_high = np.where(x0 > 0, sps.beta.ppf(1 - a / 2, x1 + 1, np.maximum(x0, 1e-300)), 1.0)
        scale = t0 / t1
        ratio = np.where(x0 > 0, (x1 / t1) / (x0 / t0), np.inf)
        low = pi_low / (1 - pi_low) * scale
        high = np.where(pi_high < 1, pi_high / (1 - pi_high) * scale, np.inf)
    nan = np.full(ok.shape, np.nan)
    return np.where(ok, ratio, nan), np.where(ok, low, nan), np.where(ok, high, nan)


def check_direction(direction: str) -> None:
    if direction not in ("higher", "lower"):
        raise ValueError(
            f"方向必须是 higher 或 lower / direction must be 'higher' or 'lower', got {direction!r}"
        )
