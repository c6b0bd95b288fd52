"""Exact binomial and Poisson tails and control limits for funnel plots (pure, vectorised).

Decision rule (docs/methods.md §4a): a unit is beyond the upper p limit (p = 0.975 or 0.999) when its
one-sided exact tail probability P(X ≥ x) under the target is below 1 − p; beyond the lower limit
when P(X ≤ x) is below 1 − p. This is the exact test that PHEindicatormethods applies to counts
below 10 (`funnel_ratio_significance`) and it never alerts at a tail probability above the nominal
level (pooled 0.05%, n = 300, one death: P(X ≥ 1) ≈ 0.14, no alert).

The plotted limits use the interpolation of Spiegelhalter (2005, Stat Med 24:1185, appendix) so that
they are continuous in n: r = the smallest count with F(r) ≥ q, and the limit is r − a with
a = (F(r) − q) / (F(r) − F(r − 1)). For the lower limit (q = 1 − p) this is exactly his formula and
agrees with the tail test above. For the upper limit his formula, applied to X, would flag x = r
although P(X ≥ r) > 1 − p (that is the one-death alert of issue 13); the same interpolation applied
to the mirrored tail (n − X for the binomial, i.e. the upper limit is r + 1 − a with r, a from
q = p) keeps the limits continuous and makes "beyond the limit" and "tail probability below 1 − p"
the same statement.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy import special
from scipy import stats as sps


def binomial_tails(x: ArrayLike, n: ArrayLike, p: float) -> tuple[np.ndarray, np.ndarray]:
    """(P(X ≥ x), P(X ≤ x)) for X ~ Binomial(n, p); regularised incomplete beta, so a fractional x
    (PHE test data carry such numerators) is handled continuously. n = 0 gives NaN."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = np.where(x <= 0, 1.0, special.betainc(np.maximum(x, 1e-300), n - x + 1, p))
        lower = np.where(x >= n, 1.0, 1.0 - special.betainc(x + 1, np.maximum(n - x, 1e-300), p))
    if p <= 0.0:
        upper, lower = np.where(x > 0, 0.0, 1.0), np.ones_like(x)
    elif p >= 1.0:
        upper, lower = np.ones_like(x), np.where(x < n, 0.0, 1.0)
    empty = n <= 0
    return np.where(empty, np.nan, upper), np.where(empty, np.nan, lower)


def poisson_tails(x: ArrayLike, mu: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(P(X ≥ x), P(X ≤ x)) for X ~ Poisson(mu) via regularised gamma functions; mu = 0 handled."""
    x = np.asarray(x, dtype=float)
    mu = np.asarray(mu, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = np.where(x <= 0, 1.0, special.gammainc(np.maximum(x, 1e-300), mu))
        lower = special.gammaincc(x + 1, mu)
    upper = np.where((mu <= 0) & (x > 0), 0.0, upper)
    lower = np.where(mu <= 0, 1.0, lower)
    return upper, lower


def tail_z(upper: ArrayLike, lower: ArrayLike) -> np.ndarray:
    """Signed normal equivalent of the exact one-sided tails: +Φ⁻¹(1 − P(X ≥ x)) above the target,
    −Φ⁻¹(1 − P(X ≤ x)) below, 0 when neither tail is below ½. |z| > z₉₅ exactly when the tail is
    below 0.025, so the z-based classification gives the same signals as the tail test."""
    upper = np.asarray(upper, dtype=float)
    lower = np.asarray(lower, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z: np.ndarray = np.maximum(sps.norm.isf(upper), 0.0) - np.maximum(sps.norm.isf(lower), 0.0)
        return z


def _interpolated_quantile(
    cdf: Callable[[np.ndarray, np.ndarray], np.ndarray],
    pmf: Callable[[np.ndarray, np.ndarray], np.ndarray],
    q: float,
    mean: np.ndarray,
    sd: np.ndarray,
    skew: np.ndarray,
    top: np.ndarray | float,
    shift: int,
) -> np.ndarray:
    """Spiegelhalter's r − a (plus `shift`: 0 for the lower limit, 1 for the upper; see the module
    docstring), r = the smallest integer with cdf(r) ≥ q, a = (F(r) − q) / (F(r) − F(r − 1)).

    r is found from a Cornish–Fisher start by unit steps; the cdf is evaluated once per unit and then
    carried by adding or removing one probability mass per step (the incomplete beta function costs
    ~2 µs a value at large n; scipy's generic ppf is slower still, and a national benchmark asks for
    ~10⁶ limits). `cdf(r, idx)` / `pmf(r, idx)` evaluate the units `idx` at r.
    """
    z = float(sps.norm.ppf(q))
    r = np.clip(np.floor(mean + sd * (z + (z * z - 1) * skew / 6)), 0, top)
    everyone = np.arange(r.size)
    f_r = cdf(r, everyone)
    mass = pmf(r, everyone)  # P(X = r) = F(r) − F(r − 1)
    for _ in range(500):
        f_below = np.where(r > 0, f_r - mass, 0.0)
        up = (f_r < q) & (r < top)
        down = (r > 0) & (f_below >= q)
        if not (up.any() or down.any()):
            break
        idx = np.flatnonzero(up | down)
        moved_up = up[idx]
        r[idx] += np.where(moved_up, 1.0, -1.0)
        new_mass = pmf(r[idx], idx)
        # up: F(r) = old F(r) + P(X = r); down: F(r) = old F(r − 1) = old F(r) − old P(X = r + 1)
        f_r[idx] = np.where(moved_up, f_r[idx] + new_mass, f_r[idx] - mass[idx])
        mass[idx] = new_mass
    f_below = np.where(r > 0, f_r - mass, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(mass > 0, (f_r - q) / mass, 0.0)
    quantile: np.ndarray = r + shift - np.clip(a, 0.0, 1.0)
    return quantile


def binomial_limits(target: float, denominators: ArrayLike, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (interpolated) lower and upper p limits for x / n under Binomial(n, target), clipped to
    [0, 1]; n = 0 gives NaN. p is the one-sided level, 0.975 for the 95% funnel, 0.999 for 99.8%."""
    n = np.asarray(denominators, dtype=float)
    ok = n > 0
    size = np.where(ok, np.round(n), 1.0)
    if target <= 0.0 or target >= 1.0:  # degenerate: the funnel is the target itself
        flat = np.where(ok, float(target), np.nan)
        return flat, flat.copy()
    # the limits depend on n only: compute them once per distinct n (a province repeats many)
    size, back = np.unique(size, return_inverse=True)
    sd = np.sqrt(size * target * (1 - target))
    log_p, log_q = np.log(target), np.log1p(-target)

    def cdf(
        r: np.ndarray, idx: np.ndarray
    ) -> np.ndarray:  # P(X ≤ r) = I_{1−p}(n − r, r + 1); scipy's bdtr is slower and warns on float n
        m = size[idx]
        r = np.clip(r, 0, m)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(r >= m, 1.0, special.betainc(np.maximum(m - r, 1e-300), r + 1, 1 - target))

    def pmf(r: np.ndarray, idx: np.ndarray) -> np.ndarray:
        m = size[idx]
        inside = (r >= 0) & (r <= m)
        r = np.clip(r, 0, m)
        log_mass = special.gammaln(m + 1) - special.gammaln(r + 1) - special.gammaln(m - r + 1)
        return np.where(inside, np.exp(log_mass + r * log_p + (m - r) * log_q), 0.0)

    skew = (1 - 2 * target) / sd
    args = (size * target, sd, skew, size)
    low = (_interpolated_quantile(cdf, pmf, 1.0 - p, *args, shift=0) / size)[back]
    high = (_interpolated_quantile(cdf, pmf, p, *args, shift=1) / size)[back]
    low = np.clip(low, 0.0, 1.0)
    high = np.clip(high, 0.0, 1.0)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


def poisson_count_limits(expected: ArrayLike, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (interpolated) lower and upper p limits for a count under Poisson(expected); the lower
    limit is clipped at 0. expected = 0 (a target of 0) gives limits of 0; NaN stays NaN."""
    mu = np.asarray(expected, dtype=float)
    ok = mu > 0
    safe = np.where(ok, mu, 1.0)

    def cdf(r: np.ndarray, idx: np.ndarray) -> np.ndarray:
        cdf: np.ndarray = special.pdtr(np.maximum(r, 0), safe[idx])
        return cdf

    def pmf(r: np.ndarray, idx: np.ndarray) -> np.ndarray:
        m = safe[idx]
        return np.where(
            r >= 0, np.exp(np.maximum(r, 0) * np.log(m) - m - special.gammaln(np.maximum(r, 0) + 1)), 0.0
        )

    sd = np.sqrt(safe)
    args = (safe, sd, 1 / sd, np.inf)
    low = np.clip(_interpolated_quantile(cdf, pmf, 1.0 - p, *args, shift=0), 0.0, None)
    high = _interpolated_quantile(cdf, pmf, p, *args, shift=1)
    degenerate = np.where(mu == 0, 0.0, np.nan)  # a target of 0: the funnel is the target itself
    return np.where(ok, low, degenerate), np.where(ok, high, degenerate)


def gamma_count_limits(expected: ArrayLike, p: float) -> tuple[np.ndarray, np.ndarray]:
    """FunnelPlotR's unadjusted limits for standardised ratios, as counts: qchisq(1 − p, 2E)/2 and
    qchisq(p, 2E + 2)/2 (the exact Poisson interval of a count E, continuous in E). Used for the
    limits drawn with limits="normal" (PHE / FunnelPlotR reproduction)."""
    mu = np.asarray(expected, dtype=float)
    ok = mu > 0
    safe = np.where(ok, mu, 1.0)
    low = sps.gamma.ppf(1.0 - p, safe)
    high = sps.gamma.ppf(p, safe + 1.0)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)
