"""Direction-aware change between two periods, per indicator kind (pure, vectorised).

* proportion: Newcombe's hybrid score interval (``stats.year_over_year``);
* rate per N (events may exceed the denominator): difference of two Poisson rates with the
  normal (Wald) interval d ± z·sqrt(x₁/n₁² + x₂/n₂²) — adequate for the event counts hospitals
  report (tens and more); flagged for the statistics layer to adopt (docs/benchmarking.md);
* mean/ratio: the difference only; no spread is reported, so no test (verdict ``not_tested``).
"""

from __future__ import annotations

import numpy as np

from services.benchmark import stats
from services.benchmark.stats_intervals import as_counts, z_for

VERDICT_LABELS = {
    "improved": ("改善", "improved"),
    "worsened": ("恶化", "worsened"),
    "no_significant_change": ("无显著变化", "no significant change"),
    "insufficient": ("数据不足", "insufficient data"),
    "not_tested": ("均值类指标，不做显著性检验", "mean-type indicator: not tested"),
}


def _verdict(diff, low, high, direction: str) -> np.ndarray:
    up, down = ("improved", "worsened") if direction == "higher" else ("worsened", "improved")
    verdict = np.where(low > 0, up, np.where(high < 0, down, "no_significant_change"))
    return np.where(np.isnan(diff), "insufficient", verdict).astype(object)


def rate_change(x1, n1, x2, n2, *, direction: str, confidence: float = 0.95) -> stats.ChangeResult:
    x1, n1 = as_counts(x1, n1, proportion=False)
    x2, n2 = as_counts(x2, n2, proportion=False)
    z = z_for(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(n1 > 0, x1 / n1, np.nan)
        r2 = np.where(n2 > 0, x2 / n2, np.nan)
        half = z * np.sqrt(x1 / n1**2 + x2 / n2**2)
    diff = r1 - r2
    return stats.ChangeResult(
        diff, diff - half, diff + half, _verdict(diff, diff - half, diff + half, direction)
    )


def ratio_change(x1, n1, x2, n2) -> stats.ChangeResult:
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where((n1 > 0) & (n2 > 0), x1 / n1 - x2 / n2, np.nan)
    verdict = np.where(np.isnan(diff), "insufficient", "not_tested").astype(object)
    return stats.ChangeResult(diff, np.full(diff.shape, np.nan), np.full(diff.shape, np.nan), verdict)


def change(
    kind: str, x_now, n_now, x_before, n_before, *, direction: str, confidence: float = 0.95
) -> stats.ChangeResult:
    """Current − earlier, as fractions (multiply by the indicator's multiplier to display)."""
    if kind == "proportion":
        return stats.year_over_year(
            x_now, n_now, x_before, n_before, direction=direction, confidence=confidence
        )
    if kind == "rate":
        return rate_change(x_now, n_now, x_before, n_before, direction=direction, confidence=confidence)
    return ratio_change(x_now, n_now, x_before, n_before)
