"""Indirect standardisation by peer profile: expected counts for O/E (NHSN SIR, UK SHMI style).

A baseline (a chosen earlier period's national or provincial data) gives one pooled rate per peer
profile (e.g. level × type, optionally × bed-size band); a hospital's expected count is
E = Σ baseline rate of its profile × its denominator (one term per stratum it reports). O/E is then
assessed with funnel(measure="ratio") around 1 (docs/methods.md §4b).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from services.benchmark.stats_intervals import as_counts


def baseline_rates(
    numerators: ArrayLike, denominators: ArrayLike, profiles: Sequence[Hashable]
) -> dict[Hashable, float]:
    """Pooled rate Σx / Σn per profile over units with n > 0; a profile without any denominator is left
    out (no baseline: its hospitals get no expected count)."""
    x, n = as_counts(numerators, denominators, proportion=False)
    keys = np.asarray(list(profiles), dtype=object)
    if keys.shape != x.shape:
        raise ValueError("画像数与分子数不一致 / profiles and numerators differ in length")
    out = {}
    for key in dict.fromkeys(keys.tolist()):
        members = (keys == key) & (n > 0)
        total = float(n[members].sum())
        if total > 0:
            out[key] = float(x[members].sum()) / total
    return out


def expected_counts(
    denominators: ArrayLike, profiles: Sequence[Hashable], baseline: Mapping[Any, float]
) -> np.ndarray:
    """E = baseline rate of the unit's profile × its denominator; NaN where the profile has no baseline.
    Several strata of one hospital: call per stratum and add the results."""
    n = np.asarray(denominators, dtype=float)
    keys = list(profiles)
    if len(keys) != n.size:
        raise ValueError("画像数与分母数不一致 / profiles and denominators differ in length")
    rate = np.array([baseline.get(key, np.nan) for key in keys], dtype=float)
    expected: np.ndarray = rate * n
    return expected
