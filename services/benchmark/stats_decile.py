"""The worst-decile rule, made to mean something (issue 13; chosen by bench/false_alarms.py).

The raw rule (rate beyond P10 / P90) flags 10% of hospitals by construction, and where 10% or fewer
hospitals have any event P90 = 0 and every hospital with one event is "worst". A hospital is in the
worst decile here only when
1. the cut is a real cut: not the best attainable value (P90 = 0 when lower is better; P10 = 1 for a
   proportion when higher is better) — otherwise nothing is flagged;
2. its whole 95% interval lies on the bad side of the cut (Wilson for proportions, exact Poisson below
   10 events / Byar from 10 for rates), so chance alone rarely puts it there; and
3. it has at least `min_events` events on the bad side (events when lower is better; failures n − x
   for a proportion when higher is better), so one event of a rare indicator never fires.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from services.benchmark.stats_intervals import (
    Direction,
    as_counts,
    check_direction,
    count_interval,
    wilson_interval,
)

# The simulation's choice (docs/methods.md §9): 5 events on the bad side.
DEFAULT_DECILE_MIN_EVENTS = 5


def worst_decile_mask(
    numerators: ArrayLike,
    denominators: ArrayLike,
    cut: float,
    *,
    direction: Direction,
    eligible: np.ndarray,
    min_events: int = DEFAULT_DECILE_MIN_EVENTS,
    measure: str = "proportion",
) -> np.ndarray:
    """Boolean mask of hospitals flagged worst decile against `cut` (P10 if higher is better, else P90)."""
    check_direction(direction)
    x, n = as_counts(numerators, denominators, proportion=measure == "proportion")
    mask = np.zeros(x.shape, dtype=bool)
    if cut is None or not np.isfinite(cut) or not np.any(eligible):
        return mask
    if direction == "lower" and cut <= 0.0:
        return mask
    if direction == "higher" and measure == "proportion" and cut >= 1.0:
        return mask
    if measure == "proportion":
        low, high = wilson_interval(x, n, 0.95)
        bad_events = x if direction == "lower" else n - x
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = (v / np.where(n > 0, n, np.nan) for v in count_interval(x, 0.95))
        # a rate where higher is better (e.g. incident reporting): the bad side has no events to count
        bad_events = x if direction == "lower" else np.full(x.shape, np.inf)
    with np.errstate(invalid="ignore"):
        beyond = (low > cut) if direction == "lower" else (high < cut)
    return np.asarray(eligible, dtype=bool) & (n > 0) & beyond & (bad_events >= min_events)


def raw_worst_decile_mask(
    numerators: ArrayLike, denominators: ArrayLike, cut: float, *, direction: Direction, eligible: ArrayLike
) -> np.ndarray:
    """The old rule (rate strictly beyond the cut), kept for the simulation's comparison only."""
    x, n = as_counts(numerators, denominators, proportion=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / n, np.nan)
        beyond = rate > cut if direction == "lower" else rate < cut
    return np.asarray(eligible, dtype=bool) & beyond
