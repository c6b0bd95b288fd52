"""Early warning on one hospital's quarterly series: risk-adjusted CUSUM and EWMA (pure, numpy/scipy).

CUSUM (docs/methods.md §11). Each quarter t brings x_t bad events out of n_t (a proportion) or
over an exposure n_t (a rate per unit), and the rate p_t the hospital is expected to have: the
target, or its peer profile's baseline rate when the QC center set an O/E baseline. The chart
accumulates the log-likelihood ratio of "worse by ``ratio``" against "as expected":

* proportions — the Bernoulli CUSUM of Steiner, Cook, Farewell & Treasure (2000), summed over the
  quarter's n patients who share the expected risk p: W = x ln R − n ln(1 − p + R p), with R the
  odds ratio of the alternative (default 2);
* rates per exposure — the Poisson CUSUM of Lucas (1985) with expected count E = p n:
  W = x ln ρ − (ρ − 1) E, with ρ the rate ratio of the alternative (default 2).

Direction: for a lower-is-better indicator the bad event is the numerator (alternative R = 2);
for a higher-is-better proportion the bad event is the complement (n − x failures at 1 − p,
R = 2 on the odds of failure); for a higher-is-better rate the alternative is ρ = 1/2.
S_t = max(0, S_{t−1} + W_t); a signal when S_t > h, after which S restarts at 0 (Steiner et al.).

EWMA of the O/E ratio r_t = x_t / E_t (failures for higher-is-better proportions): z_t = λ r_t +
(1 − λ) z_{t−1}, z_0 = 1, limits 1 ± L σ_t with σ_t² = Σ_i λ²(1 − λ)^{2(t−i)} Var(r_i) (exact for
unequal n; Var(r) = (1 − p)/(n p) binomial, 1/E Poisson).

ARL: the Markov-chain approximation of Brook & Evans (1972) for continuous increments and the
exact lattice chain for integer-scaled increments (Lucas 1985); both checked in the tests against
published values and simulation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy import stats as sps
from scipy.sparse import linalg as splinalg

from services.benchmark.stats_intervals import Direction, check_direction

FloatArray = NDArray[np.float64]

DEFAULT_RATIO = 2.0  # the alternative: odds ratio (proportions) or rate ratio (rates) of the bad outcome
DEFAULT_H = 5.0  # control limit on the log-likelihood-ratio scale, chosen by bench/cusum_arl.py (methods §11)
EWMA_LAMBDA = 0.2
EWMA_L = 3.0
MEASURES = ("proportion", "rate")


@dataclass(frozen=True)
class CusumPath:
    """One series' chart: weights W_t, the statistic S_t after each quarter (before a restart),
    whether quarter t signalled, and the expected bad events E_t."""

    weights: FloatArray
    statistic: FloatArray
    signal: NDArray[np.bool_]
    expected: FloatArray
    h: float
    ratio: float

    @property
    def first_signal(self) -> int | None:
        hits = np.flatnonzero(self.signal)
        return int(hits[0]) if hits.size else None


@dataclass(frozen=True)
class EwmaPath:
    value: FloatArray
    lower: FloatArray
    upper: FloatArray
    lam: float
    width: float


def _check(measure: str, direction: str, ratio: float) -> None:
    check_direction(direction)
    if measure not in MEASURES:
        raise ValueError(
            f"measure 必须是 proportion 或 rate / measure must be one of {MEASURES}, got {measure!r}"
        )
    if not ratio > 1.0:
        raise ValueError(
            f"备择比值必须大于 1（如 2 = 加倍）/ the alternative ratio must exceed 1 (e.g. 2 = doubled), got {ratio}"
        )


def _arrays(x: ArrayLike, n: ArrayLike, p: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    xs, ns = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    ps = np.broadcast_to(np.asarray(p, dtype=float), xs.shape).astype(float)
    if xs.shape != ns.shape:
        raise ValueError("分子与分母长度不同 / numerators and denominators differ in length")
    if np.any(ns < 0) or np.any(xs < 0):
        raise ValueError("分子与分母不能为负 / numerators and denominators must not be negative")
    if np.any(ps < 0):
        raise ValueError("期望率不能为负 / expected rates must not be negative")
    return xs, ns, ps


def bad_events(
    x: ArrayLike, n: ArrayLike, p: ArrayLike, *, measure: str, direction: Direction
) -> tuple[FloatArray, FloatArray]:
    """(observed, expected) bad events per quarter: failures n − x at 1 − p for a higher-is-better
    proportion, else x at p; a rate's expected count is p n."""
    xs, ns, ps = _arrays(x, n, p)
    if measure == "proportion" and direction == "higher":
        return ns - xs, (1.0 - ps) * ns
    return xs, ps * ns


def cusum_weights(
    x: ArrayLike,
    n: ArrayLike,
    p: ArrayLike,
    *,
    measure: str,
    direction: Direction,
    ratio: float = DEFAULT_RATIO,
    inflation: ArrayLike = 1.0,
) -> FloatArray:
    """Log-likelihood-ratio weight W_t of each quarter (0 where n = 0: no information), divided by
    the quarter's variance ``inflation`` under over-dispersion (quasi-likelihood; ``variance_inflation``)."""
    _check(measure, direction, ratio)
    xs, ns, ps = _arrays(x, n, p)
    if measure == "proportion":
        if np.any(ps > 1) or np.any(xs > ns):
            raise ValueError("比例的分子不能超过分母，期望率不超过 1 / a proportion needs x ≤ n and p ≤ 1")
        bad, pb = (ns - xs, 1.0 - ps) if direction == "higher" else (xs, ps)
        w = bad * np.log(ratio) - ns * np.log1p((ratio - 1.0) * pb)
    else:
        rho = ratio if direction == "lower" else 1.0 / ratio
        w = xs * np.log(rho) - (rho - 1.0) * ps * ns
    factor = np.broadcast_to(np.asarray(inflation, dtype=float), w.shape)
    if np.any(factor < 1.0):
        raise ValueError("方差膨胀系数不能小于 1 / the variance inflation must be at least 1")
    return np.where(ns > 0, w / factor, 0.0)


def variance_inflation(n: ArrayLike, p: ArrayLike, tau2: float | None, *, measure: str) -> FloatArray:
    """(s² + τ²) / s² of the funnel's over-dispersion model (docs/methods.md §5): 1 + 4 n τ² on the
    arcsine scale of a proportion, 1 + 4 E τ² on the √(O/E) scale of a rate (E = p n); 1 without τ²."""
    ns = np.asarray(n, dtype=float)
    if not tau2 or tau2 <= 0:
        return np.ones(ns.shape)
    size = ns if measure == "proportion" else np.asarray(p, dtype=float) * ns
    return 1.0 + 4.0 * size * float(tau2)


def cusum(
    weights: ArrayLike, *, h: float = DEFAULT_H, start: float = 0.0
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """S_t = max(0, S_{t−1} + W_t); signal when S_t > h, then restart at 0 for the next quarter."""
    if not h > 0:
        raise ValueError(f"控制限 h 必须为正 / the control limit h must be positive, got {h}")
    w = np.asarray(weights, dtype=float)
    s, out, hit = float(start), np.empty(w.size), np.zeros(w.size, dtype=bool)
    for t, wt in enumerate(w):
        s = max(0.0, s + float(wt))
        out[t] = s
        if s > h:
            hit[t] = True
            s = 0.0
    return out, hit


def cusum_path(
    x: ArrayLike,
    n: ArrayLike,
    p: ArrayLike,
    *,
    measure: str,
    direction: Direction,
    ratio: float = DEFAULT_RATIO,
    h: float = DEFAULT_H,
    inflation: ArrayLike = 1.0,
) -> CusumPath:
    """The risk-adjusted CUSUM of one hospital × indicator series (quarters oldest first)."""
    w = cusum_weights(x, n, p, measure=measure, direction=direction, ratio=ratio, inflation=inflation)
    stat, hit = cusum(w, h=h)
    _, expected = bad_events(x, n, p, measure=measure, direction=direction)
    return CusumPath(w, stat, hit, expected, float(h), float(ratio))


def ewma(
    x: ArrayLike,
    n: ArrayLike,
    p: ArrayLike,
    *,
    measure: str,
    direction: Direction,
    lam: float = EWMA_LAMBDA,
    width: float = EWMA_L,
) -> EwmaPath:
    """EWMA of the observed / expected ratio of bad events with its exact-variance limits."""
    check_direction(direction)
    if not 0 < lam <= 1:
        raise ValueError(f"λ 必须在 (0, 1] 内 / lambda must be in (0, 1], got {lam}")
    observed, expected = bad_events(x, n, p, measure=measure, direction=direction)
    _, ns, ps = _arrays(x, n, p)
    pb = 1.0 - ps if measure == "proportion" and direction == "higher" else ps
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, np.nan)
        var = np.where(
            expected > 0, (1.0 - pb) / expected if measure == "proportion" else 1.0 / expected, np.nan
        )
    z, v = 1.0, 0.0
    value, sd = np.empty(ratio.size), np.empty(ratio.size)
    for t in range(ratio.size):
        if np.isfinite(ratio[t]):  # a quarter without cases carries the chart over unchanged
            z = lam * ratio[t] + (1 - lam) * z
            v = lam**2 * var[t] + (1 - lam) ** 2 * v
        value[t], sd[t] = z, np.sqrt(v)
    return EwmaPath(value, np.maximum(1.0 - width * sd, 0.0), 1.0 + width * sd, lam, width)


def markov_arl(
    cdf: Callable[[FloatArray], FloatArray], h: float, *, states: int = 200, start: float = 0.0
) -> float:
    """ARL of an upper CUSUM with i.i.d. increments of distribution ``cdf`` (Brook & Evans 1972).

    [0, h] is cut into ``states`` cells of width w = 2h / (2 states − 1): cell 0 holds S ≤ w/2, cell
    i holds S in ((i − ½)w, (i + ½)w], represented by its centre i w; beyond h absorbs (a signal)."""
    m = int(states)
    w = 2.0 * h / (2 * m - 1)
    centre = np.arange(m) * w
    upper = (np.arange(m) + 0.5) * w  # upper edge of each cell
    cum = cdf(upper[None, :] - centre[:, None])  # P(S' ≤ edge_j | cell i)
    r = np.diff(np.concatenate([np.zeros((m, 1)), cum], axis=1), axis=1)
    arl = np.linalg.solve(np.eye(m) - r, np.ones(m))
    return float(arl[min(int(round(start / w)), m - 1)])


def lattice_arl(values: ArrayLike, probs: ArrayLike, limit: int) -> FloatArray:
    """Exact ARL of S' = max(0, S + W) with integer increments ``values`` (probabilities ``probs``),
    signalling when S' ≥ ``limit``: the vector over starting states 0..limit−1 (Lucas 1985).
    Sparse: each state reaches only as many states as W has values."""
    vals = np.asarray(values, dtype=np.int64)
    pr = np.asarray(probs, dtype=float)
    rows = np.repeat(np.arange(limit), vals.size)
    cols = np.maximum(rows + np.tile(vals, limit), 0)
    data = np.tile(pr, limit)
    keep = cols < limit
    r = sparse.csr_matrix((data[keep], (rows[keep], cols[keep])), shape=(limit, limit))
    return np.asarray(splinalg.spsolve((sparse.identity(limit, format="csr") - r).tocsc(), np.ones(limit)))


def poisson_cusum_arl(mean: float, k: float, h: float, *, scale: int = 100) -> float:
    """ARL from 0 of Lucas's counted Poisson CUSUM S' = max(0, S + x − k), signal when S > h, with
    x ~ Poisson(mean); k and h rounded to multiples of 1/scale (exact when they are such multiples)."""
    k_int = int(round(k * scale))
    limit = int(np.floor(h * scale + 1e-9)) + 1  # S·scale > h·scale ⇔ S·scale ≥ ⌊h·scale⌋ + 1
    top = int(sps.poisson.isf(1e-15, mean)) + limit // scale + 2
    xs = np.arange(top + 1)
    probs = sps.poisson.pmf(xs, mean)
    probs[-1] += sps.poisson.sf(top, mean)
    return float(lattice_arl(xs * scale - k_int, probs, limit)[0])


def llr_poisson_arl(
    expected: float, true_ratio: float, *, ratio: float = DEFAULT_RATIO, h: float = DEFAULT_H
) -> float:
    """ARL (quarters) of the rate CUSUM with a constant expected count ``expected`` per quarter and a
    true rate ``true_ratio`` × expected: W / ln ρ is Lucas's counted form with k = (ρ − 1)E / ln ρ."""
    h_counts, k = h / np.log(ratio), (ratio - 1.0) * expected / np.log(ratio)
    scale = int(np.clip(np.ceil(400 / k), 20, 20000))  # k on a grid of 1/scale: within 0.13%
    return poisson_cusum_arl(true_ratio * expected, k, h_counts, scale=scale)


def first_funnel_alarm(
    x: ArrayLike,
    n: ArrayLike,
    p: ArrayLike,
    *,
    measure: str,
    direction: Direction,
    level: str = "alarm",
) -> int | None:
    """The first quarter in which the hospital alone lies outside the funnel's 99.8% (``alarm``) or
    95% (``alert``) limit on the bad side against the expected rate (exact limits, as the flags)."""
    from services.benchmark.stats_signals import assess  # the funnel's own decision, not a copy

    wanted = ("worse_998",) if level == "alarm" else ("worse_998", "worse_95")
    xs, ns, ps = _arrays(x, n, p)
    for t in range(xs.size):
        if ns[t] <= 0:
            continue
        a = assess([xs[t]], [ns[t]], measure=measure, target=float(ps[t]), direction=direction)
        if a.signal[0] in wanted:
            return t
    return None
