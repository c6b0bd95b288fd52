"""Over-dispersion (Spiegelhalter 2005, Qual Saf Health Care 14:347) as FunnelPlotR implements it.

Proportions ("PR"): arcsine-square-root scale, y = asin √p, s = 1 / (2√n). Counts against an
expected count ("SR", used for rates per exposure and O/E ratios): square-root scale,
y = √(O / E), target 1, s = 1 / (2√E) — FunnelPlotR's sr_method = "CQC", Spiegelhalter's own choice
for standardised ratios, which unlike the log scale ("SHMI") is defined for O = 0. Both: z-scores
winsorised at 10% in each tail, φ = mean of squared winsorised z, τ² by DerSimonian–Laird with
w = 1/s². The test for over-dispersion beyond chance is k·φ > χ²₀.₉₅(k − 1) (Spiegelhalter 2005 QSHC:
under the null k·φ is approximately χ² on k − 1 degrees of freedom).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

WINSORISE_BY = 0.1  # FunnelPlotR trim_by default: 10% in each tail


def winsorise(values: np.ndarray, by: float = WINSORISE_BY) -> np.ndarray:
    """Clamp to the by / 1−by quantiles (R quantile type 7 = numpy 'linear'), as FunnelPlotR."""
    if values.size == 0:
        return values
    low, high = np.quantile(values, [by, 1 - by])
    clipped: np.ndarray = np.clip(values, low, high)
    return clipped


def dispersion_from(z_unadjusted: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """φ = mean of squared winsorised z; τ² by DerSimonian–Laird with weights w = 1/s² (FunnelPlotR
    phi_func / tau_func); τ² = 0 when k·φ < k − 1."""
    k = z_unadjusted.size
    if k == 0:
        return float("nan"), 0.0
    phi = float(np.mean(winsorise(z_unadjusted) ** 2))
    w = np.asarray(weights, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # a target of 0 gives weights 0
        spread = float(w.sum() - (w**2).sum() / w.sum())
    if not np.isfinite(phi) or k * phi < k - 1 or not spread > 0:
        return phi, 0.0
    return phi, max(0.0, (k * phi - (k - 1)) / spread)


def dispersion(z_unadjusted: np.ndarray, denominators: np.ndarray) -> tuple[float, float]:
    """φ and τ² for proportions (w = 1/s² = 4n)."""
    return dispersion_from(z_unadjusted, 4 * np.asarray(denominators, dtype=float))


@lru_cache(maxsize=512)
def _chi2_95(df: int) -> float:
    return float(sps.chi2.ppf(0.95, df))


def overdispersion_detected(phi: float, k: int) -> bool:
    """True when k·φ exceeds the 95th percentile of χ² on k − 1 degrees of freedom (k ≥ 2 units)."""
    if k < 2 or phi is None or not np.isfinite(phi):
        return False
    return bool(k * phi > _chi2_95(k - 1))


# --- proportions: arcsine scale (FunnelPlotR data_type = "PR") ---


def arcsine_z(rate: ArrayLike, target: float, denominators: ArrayLike, tau2: float = 0.0) -> np.ndarray:
    """FunnelPlotR PR z-score: (asin√p − asin√target) / sqrt(s² + τ²), s = 1 / (2√n)."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = 1 / (4 * n)
        z: np.ndarray = (np.arcsin(np.sqrt(rate)) - np.arcsin(np.sqrt(target))) / np.sqrt(s2 + tau2)
        return z


def arcsine_limits(
    target: float, denominators: ArrayLike, z: float, tau2: float
) -> tuple[np.ndarray, np.ndarray]:
    """sin²(asin√target ± z·sqrt(s² + τ²)); the angle is kept in [0, π/2] so limits stay monotone."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(1 / (4 * n) + tau2)
    centre = np.arcsin(np.sqrt(target))
    low = np.sin(np.clip(centre - half, 0.0, np.pi / 2)) ** 2
    high = np.sin(np.clip(centre + half, 0.0, np.pi / 2)) ** 2
    return low, high


# --- counts against an expected count: square-root scale (FunnelPlotR "SR", sr_method = "CQC") ---


def sqrt_z(observed: ArrayLike, expected: ArrayLike, tau2: float = 0.0) -> np.ndarray:
    """(√(O/E) − 1) / sqrt(s² + τ²), s = 1 / (2√E); with τ² = 0 this is 2(√O − √E)."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z: np.ndarray = (np.sqrt(o / e) - 1.0) / np.sqrt(1 / (4 * e) + tau2)
        return z


def sqrt_limits(expected: ArrayLike, z: float, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Limits for O/E around 1: (1 ± z·sqrt(s² + τ²))², the lower root clipped at 0 before squaring.
    FunnelPlotR's CQC branch draws 1 ± z·sqrt(s² + τ²) without squaring back; Spiegelhalter (QSHC
    2005) back-transforms, and so do we, so the limits are on the same scale as O/E."""
    e = np.asarray(expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(1 / (4 * e) + tau2)
    return np.clip(1.0 - half, 0.0, None) ** 2, (1.0 + half) ** 2
