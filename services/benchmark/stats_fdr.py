"""False-alarm control across the units of one funnel: Benjamini–Hochberg q-values.

Jones HE, Ohlssen DI, Spiegelhalter DJ. Use of the false discovery rate when comparing multiple
health care providers. J Clin Epidemiol 2008;61:232–240: one-sided p-values of each provider under
the (possibly over-dispersion-adjusted) null, q-values by the step-up procedure of Benjamini &
Hochberg (JRSS B 1995;57:289–300), a provider flagged when its q-value is below the chosen rate.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# q thresholds for the two signal levels, mirroring the two-sided 95% / 99.8% funnel limits.
FDR_Q95 = 0.05
FDR_Q998 = 0.002


def benjamini_hochberg(p_values: ArrayLike) -> np.ndarray:
    """BH-adjusted q-values (R's p.adjust(method = "BH")); NaN stays NaN and is not counted in m."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    values = p[ok]
    order = np.argsort(values, kind="stable")
    scaled = values[order] * m / np.arange(1, m + 1)
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(monotone, 1.0)
    q[ok] = adjusted
    return q


def classify_q(q_worse: np.ndarray, q_better: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Signal vocabulary of the funnel decided by q-values (worse takes precedence over better)."""
    signal = np.full(q_worse.shape, "none", dtype=object)
    with np.errstate(invalid="ignore"):
        signal[q_better < FDR_Q95] = "better_95"
        signal[q_better < FDR_Q998] = "better_998"
        signal[q_worse < FDR_Q95] = "worse_95"
        signal[q_worse < FDR_Q998] = "worse_998"
    signal[~eligible] = "insufficient"
    return signal
