"""Funnel plots for proportions (Spiegelhalter 2005) with optional over-dispersion adjustment.

Unadjusted limits: target ± z·sqrt(target(1−target)/n), clipped to [0, 1] (PHEindicatormethods
phe_funnels / phe_funnel_significance). Over-dispersion: arcsine-square-root scale, 10% winsorised
z-scores, φ and DerSimonian–Laird τ² exactly as FunnelPlotR does for data_type = "PR".
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from services.benchmark.stats_intervals import (
    Z95,
    Z998,
    Direction,
    as_counts,
    check_direction,
    wilson_interval,
)

SIGNALS = ("worse_998", "worse_95", "none", "better_95", "better_998", "insufficient")
WINSORISE_BY = 0.1  # FunnelPlotR trim_by default: 10% in each tail
# A unit exactly on a limit is not outside it; this absorbs float rounding on the z scale.
Z_TOLERANCE = 1e-9

UNIT_COLUMNS = (
    "unit",
    "numerator",
    "denominator",
    "rate",
    "ci95_low",
    "ci95_high",
    "ci998_low",
    "ci998_high",
    "limit95_low",
    "limit95_high",
    "limit998_low",
    "limit998_high",
    "z",
    "signal",
)


@dataclass(frozen=True)
class FunnelResult:
    """Per-unit arrays (same order as the input) plus funnel-wide values."""

    unit: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    rate: np.ndarray
    ci95_low: np.ndarray
    ci95_high: np.ndarray
    ci998_low: np.ndarray
    ci998_high: np.ndarray
    limit95_low: np.ndarray
    limit95_high: np.ndarray
    limit998_low: np.ndarray
    limit998_high: np.ndarray
    z: np.ndarray
    signal: np.ndarray
    target: float
    phi: float
    tau2: float
    overdispersion: bool  # True only when adjusted limits were actually applied (requested and τ² > 0)
    direction: str
    min_denominator: float

    def rows(self) -> list[dict]:
        """One dict per unit with the UNIT_COLUMNS keys; NaN stays NaN for the caller to render."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name in UNIT_COLUMNS}
        return [{col: _scalar(arrays[col][i]) for col in UNIT_COLUMNS} for i in range(len(self.unit))]


def _scalar(value):
    return value.item() if isinstance(value, np.generic) else value


def pooled_target(numerators, denominators) -> float:
    """sum(x) / sum(n) over units with n > 0; NaN when there is no denominator at all."""
    x, n = as_counts(numerators, denominators)
    total = float(n[n > 0].sum())
    return float(x[n > 0].sum()) / total if total > 0 else float("nan")


def normal_limits(target: float, denominators, z: float) -> tuple[np.ndarray, np.ndarray]:
    """target ± z·sqrt(target(1−target)/n), clipped to [0, 1]; n = 0 gives NaN."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n > 0, np.sqrt(target * (1 - target) / n), np.nan)
    return np.clip(target - z * se, 0.0, 1.0), np.clip(target + z * se, 0.0, 1.0)


def normal_z(rate, target: float, denominators) -> np.ndarray:
    """(p − target) / sqrt(target(1−target)/n); ±inf when the target is 0 or 1 and p differs."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(target * (1 - target) / n)
        z = (rate - target) / se
    return np.where(rate == target, 0.0, z)


def arcsine_z(rate, target: float, denominators, tau2: float = 0.0) -> np.ndarray:
    """FunnelPlotR PR z-score: (asin√p − asin√target) / sqrt(s² + τ²), s = 1 / (2√n)."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = 1 / (4 * n)
        return (np.arcsin(np.sqrt(rate)) - np.arcsin(np.sqrt(target))) / np.sqrt(s2 + tau2)


def winsorise(values: np.ndarray, by: float = WINSORISE_BY) -> np.ndarray:
    """Clamp to the by / 1−by quantiles (R quantile type 7 = numpy 'linear'), as FunnelPlotR."""
    if values.size == 0:
        return values
    low, high = np.quantile(values, [by, 1 - by])
    return np.clip(values, low, high)


def dispersion(z_unadjusted: np.ndarray, denominators: np.ndarray) -> tuple[float, float]:
    """φ = mean of squared winsorised z; τ² by DerSimonian–Laird with w = 1/s² = 4n (FunnelPlotR)."""
    k = z_unadjusted.size
    if k == 0:
        return float("nan"), 0.0
    phi = float(np.mean(winsorise(z_unadjusted) ** 2))
    w = 4 * np.asarray(denominators, dtype=float)
    spread = float(w.sum() - (w**2).sum() / w.sum())
    if k * phi < k - 1 or spread <= 0:
        return phi, 0.0
    return phi, max(0.0, (k * phi - (k - 1)) / spread)


def arcsine_limits(target: float, denominators, z: float, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """sin²(asin√target ± z·sqrt(s² + τ²)); the angle is kept in [0, π/2] so limits stay monotone."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(1 / (4 * n) + tau2)
    centre = np.arcsin(np.sqrt(target))
    low = np.sin(np.clip(centre - half, 0.0, np.pi / 2)) ** 2
    high = np.sin(np.clip(centre + half, 0.0, np.pi / 2)) ** 2
    return low, high


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


def funnel(
    units,
    numerators,
    denominators,
    *,
    target: float | None = None,
    direction: Direction = "higher",
    overdispersion: bool = False,
    min_denominator: float = 1,
) -> FunnelResult:
    """Funnel plot of proportions around `target` (default: pooled rate over units with n > 0).

    Units with n = 0 (无病例 / no cases) or n < min_denominator are shown with signal 'insufficient'
    and take no part in φ / τ². φ and τ² are always computed; adjusted limits and z-scores are used
    only when `overdispersion` is requested and τ² > 0 (FunnelPlotR falls back the same way).
    """
    check_direction(direction)
    x, n = as_counts(numerators, denominators)
    unit = np.asarray(list(units), dtype=object)
    if unit.shape != x.shape:
        raise ValueError("单位数与分子数不一致 / units and numerators differ in length")
    centre = pooled_target(x, n) if target is None else float(target)
    if not 0.0 <= centre <= 1.0:
        raise ValueError(f"目标值必须在 0 与 1 之间 / target must be within [0, 1], got {target}")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / n, np.nan)
    eligible = (n > 0) & (n >= min_denominator)
    phi, tau2 = dispersion(arcsine_z(rate[eligible], centre, n[eligible]), n[eligible])
    adjusted = bool(overdispersion and tau2 > 0)
    limits, z = _limits_and_z(rate, centre, n, tau2 if adjusted else None)
    return FunnelResult(
        unit,
        x,
        n,
        rate,
        *wilson_interval(x, n, 0.95),
        *wilson_interval(x, n, 0.998),
        *limits,
        z=z,
        signal=classify(z, eligible, direction),
        target=centre,
        phi=phi,
        tau2=tau2,
        overdispersion=adjusted,
        direction=direction,
        min_denominator=min_denominator,
    )


def _limits_and_z(rate, target: float, n, tau2: float | None):
    """Unadjusted (normal) limits and z when tau2 is None, else arcsine limits with τ² inflation."""
    if tau2 is None:
        low95, high95 = normal_limits(target, n, Z95)
        low998, high998 = normal_limits(target, n, Z998)
        z = normal_z(rate, target, n)
    else:
        low95, high95 = arcsine_limits(target, n, Z95, tau2)
        low998, high998 = arcsine_limits(target, n, Z998, tau2)
        z = arcsine_z(rate, target, n, tau2)
    empty = n == 0
    limits = [np.where(empty, np.nan, a) for a in (low95, high95, low998, high998)]
    return limits, np.where(empty, np.nan, z)
