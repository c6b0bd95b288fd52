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

from dataclasses import dataclass, fields

import numpy as np
from scipy import stats as sps

from services.benchmark.stats_dispersion import (
    WINSORISE_BY,
    arcsine_limits,
    arcsine_z,
    dispersion,
    dispersion_from,
    overdispersion_detected,
    sqrt_limits,
    sqrt_z,
    winsorise,
)
from services.benchmark.stats_exact import (
    binomial_limits,
    binomial_tails,
    gamma_count_limits,
    poisson_count_limits,
    poisson_tails,
    tail_z,
)
from services.benchmark.stats_fdr import benjamini_hochberg, classify_q
from services.benchmark.stats_intervals import (
    Z95,
    Z998,
    Direction,
    as_counts,
    check_direction,
    count_interval,
    wilson_interval,
)

__all__ = [  # names other modules import from here
    "MEASURES",
    "SIGNALS",
    "UNIT_COLUMNS",
    "WINSORISE_BY",
    "Z_TOLERANCE",
    "FunnelResult",
    "arcsine_limits",
    "arcsine_z",
    "assess",
    "control_limits",
    "dispersion",
    "funnel",
    "normal_limits",
    "normal_z",
    "pooled_target",
    "winsorise",
]

SIGNALS = ("worse_998", "worse_95", "none", "better_95", "better_998", "insufficient")
MEASURES = ("proportion", "rate", "ratio")
LIMITS = ("exact", "normal")
# A unit exactly on a limit is not outside it; this absorbs float rounding on the z scale.
Z_TOLERANCE = 1e-9
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

    def rows(self) -> list[dict]:
        """One dict per unit with the UNIT_COLUMNS keys; NaN stays NaN for the caller to render."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name in UNIT_COLUMNS}
        return [{col: _scalar(arrays[col][i]) for col in UNIT_COLUMNS} for i in range(len(self.unit))]


def _scalar(value):
    return value.item() if isinstance(value, np.generic) else value


def pooled_target(numerators, denominators) -> float:
    """sum(x) / sum(n) over units with n > 0; NaN when there is no denominator at all."""
    x, n = as_counts(numerators, denominators, proportion=False)
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


def control_limits(
    denominators,
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
    out = {}
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
                low, high = (c / n for c in count_limits(mu, p))
        empty = ~(n > 0)
        out[f"limit{level}_low"] = np.where(empty, np.nan, low)
        out[f"limit{level}_high"] = np.where(empty, np.nan, high)
    return out


def _check_options(measure: str, limits: str, direction: str) -> None:
    check_direction(direction)
    if measure not in MEASURES:
        raise ValueError(f"measure 必须是 {'/'.join(MEASURES)} / measure must be one of {MEASURES}")
    if limits not in LIMITS:
        raise ValueError(
            f"limits 必须是 exact 或 normal / limits must be 'exact' or 'normal', got {limits!r}"
        )


def _inputs(measure: str, numerators, denominators, target):
    """(x, n, centre) validated for the measure; counts for rate/ratio must be whole numbers."""
    x, n = as_counts(numerators, denominators, proportion=measure == "proportion")
    if measure != "proportion" and np.any(x != np.round(x)):
        item = int(np.argmax(x != np.round(x))) + 1
        raise ValueError(f"第 {item} 项: 事件数必须是整数 / item {item}: event count must be a whole number")
    if target is not None:
        centre = float(target)
    else:
        centre = 1.0 if measure == "ratio" else pooled_target(x, n)
    if measure == "proportion" and not 0.0 <= centre <= 1.0:
        raise ValueError(f"目标值必须在 0 与 1 之间 / target must be within [0, 1], got {target}")
    if measure != "proportion" and not centre >= 0.0:
        raise ValueError(f"目标值必须为非负数 / target must be non-negative, got {target}")
    return x, n, centre


def _intervals(measure: str, x, n) -> list[np.ndarray]:
    if measure == "proportion":
        return [*wilson_interval(x, n, 0.95), *wilson_interval(x, n, 0.998)]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n > 0, 1.0 / n, np.nan)
    return [v * scale for level in (0.95, 0.998) for v in count_interval(x, level)]


def _unadjusted_z(measure: str, x, n, rate, centre: float) -> tuple[np.ndarray, np.ndarray]:
    """(z used for φ/τ², its weights 1/s²) on the over-dispersion scale of the measure."""
    if measure == "proportion":
        return arcsine_z(rate, centre, n), 4 * n
    return sqrt_z(x, centre * n), 4 * centre * n


def _phe_signal(x, n, centre: float, eligible, direction: str) -> np.ndarray:
    """PHEindicatormethods assign_funnel_significance for rates/ratios: the unit's own interval
    (exact below 10 events, Byar from 10; lower limit 0 when O = 0) against the target."""
    high_side = np.full(x.shape, "none", dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        for level, tag in ((0.95, "95"), (0.998, "998")):
            low, high = count_interval(x, level)
            high_side[centre * n < low] = f"high_{tag}"
            high_side[centre * n > high] = f"low_{tag}"
    up, down = ("better", "worse") if direction == "higher" else ("worse", "better")
    names = {"high_95": f"{up}_95", "high_998": f"{up}_998", "low_95": f"{down}_95", "low_998": f"{down}_998"}
    signal = np.array([names.get(s, "none") for s in high_side], dtype=object)
    signal[~eligible] = "insufficient"
    return signal


def _tests(measure, limits, x, n, rate, centre, tau2):
    """(z, p_upper, p_lower, limits_method): the test statistic and one-sided p-values."""
    if tau2 is not None:
        z = arcsine_z(rate, centre, n, tau2) if measure == "proportion" else sqrt_z(x, centre * n, tau2)
        method = "arcsine_overdispersed" if measure == "proportion" else "sqrt_overdispersed"
        return z, sps.norm.sf(z), sps.norm.cdf(z), method
    if measure == "proportion" and limits == "normal":
        z = normal_z(rate, centre, n)
        return z, sps.norm.sf(z), sps.norm.cdf(z), "normal"
    if measure == "proportion":
        upper, lower = binomial_tails(x, n, centre)
        method = "exact_binomial"
    else:
        upper, lower = poisson_tails(x, centre * n)
        method = "poisson_exact_byar" if limits == "normal" else "poisson_exact"
    return tail_z(upper, lower), upper, lower, method


@dataclass(frozen=True)
class Assessment:
    """What funnel() decides, without the intervals and limits it draws (the simulation's core)."""

    x: np.ndarray
    n: np.ndarray
    rate: np.ndarray
    eligible: np.ndarray
    target: float
    z: np.ndarray
    signal: np.ndarray
    p_worse: np.ndarray
    p_better: np.ndarray
    q_worse: np.ndarray
    q_better: np.ndarray
    signal_fdr: np.ndarray
    phi: float
    tau2: float
    adjusted: bool
    beyond: bool
    method: str


def assess(
    numerators,
    denominators,
    *,
    measure: str = "proportion",
    target: float | None = None,
    direction: Direction = "higher",
    overdispersion: bool | str = False,
    min_denominator: float = 1,
    limits: str = "exact",
) -> Assessment:
    """Signals, p- and q-values, φ and τ² of a funnel (see funnel())."""
    _check_options(measure, limits, direction)
    x, n, centre = _inputs(measure, numerators, denominators, target)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / n, np.nan)
    eligible = (n > 0) & (n >= min_denominator)
    z0, weights = _unadjusted_z(measure, x, n, rate, centre)
    phi, tau2 = dispersion_from(z0[eligible], weights[eligible])
    beyond = overdispersion_detected(phi, int(eligible.sum()))
    adjusted = bool((overdispersion is True or (overdispersion == "auto" and beyond)) and tau2 > 0)
    z, p_upper, p_lower, method = _tests(measure, limits, x, n, rate, centre, tau2 if adjusted else None)
    z = np.where(n > 0, z, np.nan)
    if measure != "proportion" and limits == "normal" and not adjusted:
        signal = _phe_signal(x, n, centre, eligible, direction)
    else:
        signal = classify(z, eligible, direction)
    p_worse, p_better = (p_lower, p_upper) if direction == "higher" else (p_upper, p_lower)
    p_worse = np.where(eligible, p_worse, np.nan)
    p_better = np.where(eligible, p_better, np.nan)
    q_worse, q_better = benjamini_hochberg(p_worse), benjamini_hochberg(p_better)
    return Assessment(
        x, n, rate, eligible, centre, z, signal, p_worse, p_better, q_worse, q_better,
        classify_q(q_worse, q_better, eligible), phi, tau2, adjusted, beyond, method,
    )  # fmt: skip


def funnel(
    units,
    numerators,
    denominators,
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
    return FunnelResult(
        unit,
        a.x,
        a.n,
        a.rate,
        *_intervals(measure, a.x, a.n),
        **control_limits(a.n, target=a.target, measure=measure, limits=limits, tau2=tau2),
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
