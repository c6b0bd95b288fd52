"""Average run lengths of the early-warning CUSUM by simulation (issue 17; docs/methods.md §11).

For series shaped like the real indicators — rare events (0.05%, 0.5%), low (2%) and common (30%
failures of a 70% compliance) proportions, infections per 1,000 catheter-days — at a small and a
large hospital (quarterly denominators below), it measures for each control limit h:

* ARL0: quarters between false warnings while the hospital is exactly at its expected rate, both
  without and with over-dispersion (each quarter's true rate drawn around the expected one:
  logit-normal / log-normal, SD 0.3, as bench/false_alarms.py). Run as a renewal process: the
  CUSUM restarts at 0 after each signal (as the platform does), ARL0 = quarters / signals;
* ARL1: quarters from the start (S = 0) to the first signal when the rate of the bad outcome is
  doubled (proportions: twice the bad-outcome probability, as the issue asks; the chart's
  alternative is odds ratio 2);
* for the Poisson rows, the exact Markov-chain ARL (``stats_cusum.llr_poisson_arl``) beside the
  simulated one (no over-dispersion), as a check of both.

Seeded and reproducible.

    .venv/bin/python bench/cusum_arl.py            # 1,000 series × 1,000 quarters each, a few minutes
    .venv/bin/python bench/cusum_arl.py --quick    # seconds (the test runs this)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.benchmark.stats_cusum import (  # noqa: E402
    DEFAULT_H,
    DEFAULT_RATIO,
    cusum_weights,
    llr_poisson_arl,
    variance_inflation,
)
from services.benchmark.stats_intervals import Direction  # noqa: E402

OD_SD = 0.3
H_VALUES = (3.0, 4.0, 5.0)


@dataclass(frozen=True)
class Shape:
    label: str
    measure: str  # proportion | rate
    direction: str  # lower | higher (higher: compliance, the bad outcome is its complement)
    expected: float  # expected rate (a higher-is-better proportion: of compliance)
    size: int  # quarterly denominator (patients, or catheter-days)


def shapes() -> list[Shape]:
    return [
        Shape("rare 0.05%, small (n 300)", "proportion", "lower", 0.0005, 300),
        Shape("rare 0.05%, large (n 5,000)", "proportion", "lower", 0.0005, 5000),
        Shape("rare 0.5%, small (n 300)", "proportion", "lower", 0.005, 300),
        Shape("rare 0.5%, large (n 5,000)", "proportion", "lower", 0.005, 5000),
        Shape("low 2%, small (n 300)", "proportion", "lower", 0.02, 300),
        Shape("low 2%, large (n 5,000)", "proportion", "lower", 0.02, 5000),
        Shape("common 70% compliance, small (n 100)", "proportion", "higher", 0.70, 100),
        Shape("common 70% compliance, large (n 2,000)", "proportion", "higher", 0.70, 2000),
        Shape("CLABSI 1‰ catheter-days, small (1,000 d)", "rate", "lower", 0.001, 1000),
        Shape("CLABSI 1‰ catheter-days, large (20,000 d)", "rate", "lower", 0.001, 20000),
    ]


def _bad(shape: Shape) -> float:
    """Expected probability / rate of the bad outcome."""
    return 1 - shape.expected if shape.direction == "higher" else shape.expected


def _true_bad(rng: np.random.Generator, shape: Shape, count: int, factor: float, od: bool) -> np.ndarray:
    base = _bad(shape) * factor
    if not od:
        return np.full(count, base)
    if shape.measure == "proportion":
        logit = np.log(base / (1 - base)) + rng.normal(0, OD_SD, count)
        out: np.ndarray = 1 / (1 + np.exp(-logit))
        return out
    return np.asarray(base * rng.lognormal(-(OD_SD**2) / 2, OD_SD, count))


def _draw(rng: np.random.Generator, shape: Shape, count: int, factor: float, od: bool) -> np.ndarray:
    """Numerators of one quarter for ``count`` series (compliant patients for 'higher')."""
    bad = _true_bad(rng, shape, count, factor, od)
    events = rng.binomial(shape.size, bad) if shape.measure == "proportion" else rng.poisson(bad * shape.size)
    out: np.ndarray = shape.size - events if shape.direction == "higher" else events
    return out


def tau2(shape: Shape) -> float:
    """The over-dispersion of the OD world on the funnel's scale (arcsine for proportions: p(1 − p)σ²/4;
    √(O/E) for rates: σ²/4), as the platform's funnel would estimate it from the province."""
    pb = _bad(shape)
    return pb * (1 - pb) * OD_SD**2 / 4 if shape.measure == "proportion" else OD_SD**2 / 4


def _weights(shape: Shape, x: np.ndarray, adjusted: bool = False) -> np.ndarray:
    n = np.full(x.size, shape.size)
    inflation = variance_inflation(n, _bad(shape), tau2(shape) if adjusted else None, measure=shape.measure)
    direction: Direction = "higher" if shape.direction == "higher" else "lower"
    return cusum_weights(
        x, n, shape.expected, measure=shape.measure, direction=direction, inflation=inflation
    )


def arl0(
    rng: np.random.Generator, shape: Shape, series: int, quarters: int, od: bool, adjusted: bool = False
) -> dict[float, float]:
    """h → quarters per false signal (inf when none), restarting at 0 after each signal."""
    s = {h: np.zeros(series) for h in H_VALUES}
    signals = dict.fromkeys(H_VALUES, 0)
    for _ in range(quarters):
        w = _weights(shape, _draw(rng, shape, series, 1.0, od), adjusted)
        for h in H_VALUES:
            s[h] = np.maximum(0.0, s[h] + w)
            hit = s[h] > h
            signals[h] += int(hit.sum())
            s[h][hit] = 0.0
    return {h: series * quarters / signals[h] if signals[h] else float("inf") for h in H_VALUES}


def arl1(
    rng: np.random.Generator, shape: Shape, series: int, od: bool = False, cap: int = 400
) -> dict[float, float]:
    """h → mean quarters to the first signal at twice the bad-outcome rate (from S = 0); with ``od``
    the data are over-dispersed and the chart adjusted for it."""
    s = {h: np.zeros(series) for h in H_VALUES}
    first = {h: np.full(series, cap, dtype=float) for h in H_VALUES}
    for t in range(1, cap + 1):
        w = _weights(shape, _draw(rng, shape, series, 2.0, od), od)
        for h in H_VALUES:
            s[h] = np.maximum(0.0, s[h] + w)
            new = (s[h] > h) & (first[h] == cap)
            first[h][new] = t
        if all((first[h] < cap).all() for h in H_VALUES):
            break
    return {h: float(first[h].mean()) for h in H_VALUES}


def _fmt(v: float) -> str:
    if v == float("inf"):
        return "no signal"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--quarters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--quick", action="store_true", help="200 series × 200 quarters")
    args = parser.parse_args(argv)
    series, quarters = (200, 200) if args.quick else (args.series, args.quarters)
    rng = np.random.default_rng(args.seed)
    hs = " | ".join(f"h={h:g}" for h in H_VALUES)
    print(
        f"alternative: odds ratio / rate ratio {DEFAULT_RATIO:g}; {series} series × {quarters} quarters; seed {args.seed}"
    )
    print(
        f"| shape | E bad / quarter | ARL0 {hs} | ARL0 OD, unadjusted h={DEFAULT_H:g} | ARL0 OD, adjusted {hs} "
        f"| ARL1 (rate × 2) {hs} | ARL1 OD adjusted h={DEFAULT_H:g} | Markov ARL0 / ARL1 h={DEFAULT_H:g} |"
    )
    print("|---|---|" + "---|" * (3 * len(H_VALUES) + 3))
    for shape in shapes():
        e = _bad(shape) * shape.size
        a0 = arl0(rng, shape, series, quarters, od=False)
        raw = arl0(rng, shape, series, quarters, od=True)
        adj = arl0(rng, shape, series, quarters, od=True, adjusted=True)
        a1 = arl1(rng, shape, series)
        a1od = arl1(rng, shape, series, od=True)
        markov = "–"
        if shape.measure == "rate":
            markov = f"{_fmt(llr_poisson_arl(e, 1.0))} / {_fmt(llr_poisson_arl(e, 2.0))}"
        cells = [
            *(_fmt(a0[h]) for h in H_VALUES),
            _fmt(raw[DEFAULT_H]),
            *(_fmt(adj[h]) for h in H_VALUES),
            *(_fmt(a1[h]) for h in H_VALUES),
            _fmt(a1od[DEFAULT_H]),
        ]
        print(f"| {shape.label} | {e:g} | " + " | ".join(cells) + f" | {markov} |")
    print(f"(ARL0 above {series * quarters:,} quarters cannot be told apart from 'no signal' at this size.)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
