"""Direction-aware change between two periods, per indicator kind (pure, vectorised).

* proportion: Newcombe's hybrid score interval for the difference (``stats.year_over_year``);
* rate per N (events may exceed the denominator): the ratio of the two rates with the exact
  conditional (binomial) interval (``stats.rate_ratio_interval``; Breslow & Day 1987, R's
  poisson.test); the verdict comes from that interval against 1. The difference is reported too,
  with the ratio interval shown on the difference scale at the earlier rate, r₀·(RR − 1), so the
  displayed interval and the verdict never disagree (docs/methods.md §6b);
* mean/ratio: the difference only; no spread is reported, so no test (verdict ``not_tested``).
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from services.benchmark import stats
from services.benchmark.stats_intervals import as_counts

VERDICT_LABELS = {
    "improved": ("改善", "improved"),
    "worsened": ("恶化", "worsened"),
    "no_significant_change": ("无显著变化", "no significant change"),
    "insufficient": ("数据不足", "insufficient data"),
    "not_tested": ("均值类指标，不做显著性检验", "mean-type indicator: not tested"),
}


def _verdict(diff: np.ndarray, low: np.ndarray, high: np.ndarray, direction: str) -> np.ndarray:
    up, down = ("improved", "worsened") if direction == "higher" else ("worsened", "improved")
    verdict = np.where(low > 0, up, np.where(high < 0, down, "no_significant_change"))
    return np.where(np.isnan(diff), "insufficient", verdict).astype(object)


def rate_change(
    x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike, *, direction: str, confidence: float = 0.95
) -> stats.ChangeResult:
    """Current (x1 events over exposure n1) against earlier (x0 over n0)."""
    x1, n1 = as_counts(x1, n1, proportion=False)
    x0, n0 = as_counts(x0, n0, proportion=False)
    ratio, low, high = stats.rate_ratio_interval(x1, n1, x0, n0, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(n1 > 0, x1 / n1, np.nan)
        r0 = np.where(n0 > 0, x0 / n0, np.nan)
        diff = r1 - r0
        # the ratio interval on the difference scale; undefined when the earlier rate is 0
        d_low = np.where(r0 > 0, r0 * (low - 1), np.nan)
        d_high = np.where(r0 > 0, r0 * (high - 1), np.nan)
    up, down = ("improved", "worsened") if direction == "higher" else ("worsened", "improved")
    verdict = np.where(low > 1, up, np.where(high < 1, down, "no_significant_change"))
    verdict = np.where(np.isnan(diff) | np.isnan(ratio), "insufficient", verdict).astype(object)
    return stats.ChangeResult(
        diff,
        d_low,
        d_high,
        verdict,
        method="rate_ratio_exact_conditional",
        ratio=ratio,
        ratio_low=low,
        ratio_high=high,
    )


def ratio_change(x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike) -> stats.ChangeResult:
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where((n1 > 0) & (n2 > 0), x1 / n1 - x2 / n2, np.nan)
    verdict = np.where(np.isnan(diff), "insufficient", "not_tested").astype(object)
    nan = np.full(diff.shape, np.nan)
    return stats.ChangeResult(diff, nan, nan.copy(), verdict, method="not_tested")


def change(
    kind: str,
    x_now: ArrayLike,
    n_now: ArrayLike,
    x_before: ArrayLike,
    n_before: ArrayLike,
    *,
    direction: str,
    confidence: float = 0.95,
) -> stats.ChangeResult:
    """Current − earlier, as fractions (multiply by the indicator's multiplier to display)."""
    if kind == "proportion":
        return stats.year_over_year(
            x_now,
            n_now,
            x_before,
            n_before,
            direction=cast(stats.Direction, direction),  # year_over_year checks it (check_direction)
            confidence=confidence,
        )
    if kind == "rate":
        return rate_change(x_now, n_now, x_before, n_before, direction=direction, confidence=confidence)
    return ratio_change(x_now, n_now, x_before, n_before)
