"""Funnel plots (Spiegelhalter 2005, Stat Med 24:1185) for proportions, rates per exposure and O/E.

measure = "proportion": x of n. limits = "exact" (default): exact binomial tail test with the
  interpolated limits of stats_exact; limits = "normal": target ± z·sqrt(target(1−target)/n),
  clipped to [0, 1] (PHEindicatormethods phe_funnels / assign_funnel_significance).
measure = "rate": x events over exposure n, compared with Poisson(target × n).
measure = "ratio": O observed over E expected, compared with Poisson(target × E), target 1 by default.
  For both: limits = "exact": exact Poisson tail test, interpolated limits; limits = "normal": PHE's
  own-interval significance (exact Poisson below 10 events, Byar from 10) with FunnelPlotR's limits.
Over-dispersion: stats_dispersion (arcsine scale for proportions, square-root scale for counts).
False-alarm control: one-sided p-values towards worse, Benjamini–Hochberg q-values (stats_fdr).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from services.benchmark.stats_dispersion import (
    WINSORISE_BY,
    arcsine_limits,
    arcsine_z,
    dispersion,
    sqrt_limits,
    winsorise,
)
from services.benchmark.stats_exact import binomial_limits, gamma_count_limits, poisson_count_limits
from services.benchmark.stats_intervals import Z95, Z998, Direction, count_interval, wilson_interval
from services.benchmark.stats_signals import (
    MEASURES,
    SIGNALS,
    Z_TOLERANCE,
    Assessment,
    assess,
    classify,
    normal_z,
    pooled_target,
)

__all__ = [  # names other modules import from here (some live in stats_signals / stats_dispersion)
    "MEASURES",
    "SIGNALS",
    "UNIT_COLUMNS",
    "WINSORISE_BY",
    "Z_TOLERANCE",
    "Assessment",
    "FunnelResult",
    "arcsine_limits",
    "arcsine_z",
    "assess",
    "classify",
    "control_limits",
    "dispersion",
    "funnel",
    "normal_limits",
    "normal_z",
    "pooled_target",
    "winsorise",
]

P95, P998 = 0.975, 0.999  # one-sided levels of the 95% and 99.8% limits

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
    measure: str
    limits_method: str  # exact_binomial | normal | poisson_exact | poisson_exact_byar | *_overdispersed
    p_worse: np.ndarray  # one-sided p towards worse under the (adjusted) null; NaN where not eligible
    q_worse: np.ndarray  # Benjamini–Hochberg q-values of p_worse across the eligible units
    signal_fdr: np.ndarray  # SIGNALS decided by q-values (stats_fdr.classify_q)
    p_better: np.ndarray
    q_better: np.ndarray
    dispersion_beyond_chance: bool  # k·φ > χ²₀.₉₅(k − 1) over the eligible units

    def rows(self) -> list[dict[str, Any]]:
        """One dict per unit with the UNIT_COLUMNS keys; NaN stays NaN for the caller to render."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name in UNIT_COLUMNS}
        return [{col: _scalar(arrays[col][i]) for col in UNIT_COLUMNS} for i in range(len(self.unit))]


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def normal_limits(target: float, denominators: ArrayLike, z: float) -> tuple[np.ndarray, np.ndarray]:
    """target ± z·sqrt(target(1−target)/n), clipped to [0, 1]; n = 0 gives NaN."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n > 0, np.sqrt(target * (1 - target) / n), np.nan)
    return np.clip(target - z * se, 0.0, 1.0), np.clip(target + z * se, 0.0, 1.0)


def control_limits(
    denominators: ArrayLike,
    *,
    target: float,
    measure: str = "proportion",
    limits: str = "exact",
    tau2: float | None = None,
) -> dict[str, np.ndarray]:
    """The four funnel limits (limit95_low … limit998_high) at the given denominators, on the scale
    of `rate` (x/n, events per unit exposure, or O/E). tau2 not None draws over-dispersed limits.
    The same function draws the plotted funnel and decides nothing else, so plot and signals agree."""
    n = np.asarray(denominators, dtype=float)
    out: dict[str, np.ndarray] = {}
    for level, p, z in (("95", P95, Z95), ("998", P998, Z998)):
        if measure == "proportion":
            if tau2 is not None:
                low, high = arcsine_limits(target, n, z, tau2)
            elif limits == "normal":
                low, high = normal_limits(target, n, z)
            else:
                low, high = binomial_limits(target, n, p)
        else:
            mu = target * n
            if tau2 is not None:
                low, high = (target * v for v in sqrt_limits(mu, z, tau2))
            else:
                count_limits = gamma_count_limits if limits == "normal" else poisson_count_limits
                with np.errstate(divide="ignore", invalid="ignore"):  # n = 0 is masked below
                    low, high = (c / n for c in count_limits(mu, p))
        empty = ~(n > 0)
        out[f"limit{level}_low"] = np.where(empty, np.nan, low)
        out[f"limit{level}_high"] = np.where(empty, np.nan, high)
    return out


def _intervals(measure: str, x: np.ndarray, n: np.ndarray) -> list[np.ndarray]:
    if measure == "proportion":
        return [*wilson_interval(x, n, 0.95), *wilson_interval(x, n, 0.998)]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n > 0, 1.0 / n, np.nan)
    return [v * scale for level in (0.95, 0.998) for v in count_interval(x, level)]


def funnel(
    units: Iterable[Any],
    numerators: ArrayLike,
    denominators: ArrayLike,
    *,
    measure: str = "proportion",
    target: float | None = None,
    direction: Direction = "higher",
    overdispersion: bool | str = False,
    min_denominator: float = 1,
    limits: str = "exact",
) -> FunnelResult:
    """Funnel plot around `target` (default: pooled x/n for proportions and rates, 1 for ratios).

    Units with n = 0 (无病例 / no cases) or n < min_denominator are shown with signal 'insufficient'
    and take no part in φ, τ², p- or q-values. φ and τ² are always computed; adjusted limits are used
    when `overdispersion` is True (or "auto" and k·φ > χ²₀.₉₅(k − 1)) and τ² > 0.
    """
    a = assess(
        numerators,
        denominators,
        measure=measure,
        target=target,
        direction=direction,
        overdispersion=overdispersion,
        min_denominator=min_denominator,
        limits=limits,
    )
    unit = np.asarray(list(units), dtype=object)
    if unit.shape != a.x.shape:
        raise ValueError("单位数与分子数不一致 / units and numerators differ in length")
    tau2 = a.tau2 if a.adjusted else None
    ci95_low, ci95_high, ci998_low, ci998_high = _intervals(measure, a.x, a.n)
    limit = control_limits(a.n, target=a.target, measure=measure, limits=limits, tau2=tau2)
    return FunnelResult(
        unit,
        a.x,
        a.n,
        a.rate,
        ci95_low,
        ci95_high,
        ci998_low,
        ci998_high,
        limit["limit95_low"],
        limit["limit95_high"],
        limit["limit998_low"],
        limit["limit998_high"],
        z=a.z,
        signal=a.signal,
        target=a.target,
        phi=a.phi,
        tau2=a.tau2,
        overdispersion=a.adjusted,
        direction=direction,
        min_denominator=min_denominator,
        measure=measure,
        limits_method=a.method,
        p_worse=a.p_worse,
        q_worse=a.q_worse,
        signal_fdr=a.signal_fdr,
        p_better=a.p_better,
        q_better=a.q_better,
        dispersion_beyond_chance=a.beyond,
    )
