"""False flags and power of each flag rule on simulated national data (issue 13; docs/methods.md §9).

Null data shaped like the national goals: ~13,000 hospitals in 31 provinces (each province is one
funnel, as a provincial QC center sees it), skewed sizes (quarterly discharges log-normal, median
1,500), 55 indicators per hospital — rare events (0.05%–0.5%), low (1–10%) and common (30–90%)
proportions, infections per 1,000 catheter-days and events per 100 discharges. Two worlds: every
hospital at the target rate ("no OD"), or each hospital × indicator with its own true rate drawn
around the target (over-dispersion: logit-normal / log-normal, SD 0.3; "OD"). Power: a second run in
which 2% of hospitals have twice the target rate of the bad outcome on every indicator (for a
higher-is-better proportion: twice the failure rate, or half the rate when failures are above 50%).

For each rule it prints false flags per hospital per quarter (alert = 95% / q < 0.05 or worse,
alarm = 99.8% / q < 0.002), false alerts on rare-event indicators per 1,000 hospitals, and the power
to flag a hospital at twice the target. Seeded and reproducible.

    .venv/bin/python bench/false_alarms.py            # national scale, a few minutes on 2 cores
    .venv/bin/python bench/false_alarms.py --quick    # 3 provinces, seconds
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.benchmark.stats_decile import raw_worst_decile_mask, worst_decile_mask  # noqa: E402
from services.benchmark.stats_rank import rate_percentiles  # noqa: E402
from services.benchmark.stats_signals import assess  # noqa: E402

OD_SD = 0.3  # between-hospital SD of the true rate (logit scale for proportions, log scale for rates)
PLANTED_SHARE = 0.02
DECILE_MIN_FOR_CUT = 10  # flags.py MIN_FOR_DECILE


@dataclass(frozen=True)
class Indicator:
    group: str  # rare | low | common | rate
    measure: str  # proportion | rate
    direction: str  # lower = lower is better
    target: float  # true rate (fraction, or events per unit exposure)
    share: float  # denominator per discharge (surgeries, eligible patients, catheter-days, …)
    min_denominator: int


def indicators() -> list[Indicator]:
    """55 indicators: 5 rare, 10 low, 30 common proportions, 5 catheter-day and 5 per-discharge rates."""
    rare = [
        Indicator("rare", "proportion", "lower", t, 0.25, 10) for t in (0.0005, 0.0005, 0.0005, 0.002, 0.005)
    ]
    low = [
        Indicator("low", "proportion", "lower", t, s, 10)
        for t, s in zip(np.linspace(0.01, 0.10, 10), np.linspace(0.05, 0.6, 10), strict=True)
    ]
    common = [
        Indicator("common", "proportion", "higher", t, s, 10)
        for t, s in zip(np.linspace(0.30, 0.90, 30), np.geomspace(0.01, 0.8, 30), strict=True)
    ]
    catheter = [Indicator("rate", "rate", "lower", t / 1000, 1.0, 1000) for t in (0.5, 0.8, 1.0, 1.5, 2.0)]
    per_discharge = [
        Indicator("rate", "rate", d, t / 100, 1.0, 100)
        for d, t in (("lower", 0.3), ("lower", 0.5), ("lower", 1.0), ("higher", 1.5), ("higher", 3.0))
    ]
    return rare + low + common + catheter + per_discharge


def bad_rate(ind: Indicator) -> float:
    """Twice the target rate of the bad outcome (see the module docstring)."""
    if ind.direction == "lower":
        return min(2 * ind.target, 0.999) if ind.measure == "proportion" else 2 * ind.target
    if ind.measure == "rate":
        return ind.target / 2
    return 1 - 2 * (1 - ind.target) if ind.target >= 0.5 else ind.target / 2


def draw(rng, ind: Indicator, size: np.ndarray, od: bool, planted: np.ndarray):
    """(numerators, denominators) of one indicator in one province."""
    n = np.maximum(np.round(size * ind.share * rng.lognormal(0.0, 0.3, size.size)), 0)
    rate = np.full(size.size, ind.target)
    if od:
        if ind.measure == "proportion":
            logit = np.log(ind.target / (1 - ind.target)) + rng.normal(0, OD_SD, size.size)
            rate = 1 / (1 + np.exp(-logit))
        else:
            rate = ind.target * rng.lognormal(-(OD_SD**2) / 2, OD_SD, size.size)
    rate = np.where(planted, bad_rate(ind), rate)
    x = rng.binomial(n.astype(np.int64), rate) if ind.measure == "proportion" else rng.poisson(rate * n)
    return x.astype(float), n


def rules():
    """(name, kind, options): kind 'signal' uses assess(**options).signal, 'fdr' its signal_fdr,
    'hybrid' exact limits where the expected count (n·p̄, n(1 − p̄) or E) is below 10 and normal
    limits elsewhere, 'decile_raw' / 'decile' the worst-decile rules."""
    return [
        ("normal limits", "signal", {"limits": "normal", "overdispersion": False}),
        ("exact limits", "signal", {"limits": "exact", "overdispersion": False}),
        ("exact below 10 expected, else normal", "hybrid", {}),
        ("exact limits, OD auto", "signal", {"limits": "exact", "overdispersion": "auto"}),
        ("exact limits, OD always", "signal", {"limits": "exact", "overdispersion": True}),
        ("FDR (exact p)", "fdr", {"limits": "exact", "overdispersion": False}),
        ("FDR (exact p), OD auto", "fdr", {"limits": "exact", "overdispersion": "auto"}),
        ("worst decile, raw", "decile_raw", {}),
        ("worst decile, new, min 1 event", "decile", {"min_events": 1}),
        ("worst decile, new, min 3 events", "decile", {"min_events": 3}),
        ("worst decile, new, min 5 events", "decile", {"min_events": 5}),
    ]


def _decile(ind: Indicator, x, n, eligible, kind: str, options: dict) -> np.ndarray:
    if eligible.sum() < DECILE_MIN_FOR_CUT:
        return np.zeros(x.size, dtype=bool)
    pct = rate_percentiles(x, n, min_denominator=ind.min_denominator)
    cut = pct[90] if ind.direction == "lower" else pct[10]
    if kind == "decile_raw":
        return raw_worst_decile_mask(x, n, cut, direction=ind.direction, eligible=eligible)
    return worst_decile_mask(
        x, n, cut, direction=ind.direction, eligible=eligible, measure=ind.measure, **options
    )


def flags_for(ind: Indicator, x, n) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Rule name → (alert-or-worse mask, alarm mask) for one funnel."""
    out, cache = {}, {}
    for name, kind, options in rules():
        if kind == "hybrid":
            exact, normal = (
                cache[(("limits", "exact"), ("overdispersion", False))],
                cache[(("limits", "normal"), ("overdispersion", False))],
            )
            mu = n * exact.target
            small = (np.minimum(mu, n - mu) if ind.measure == "proportion" else mu) < 10
            signal = np.where(small, exact.signal, normal.signal)
            out[name] = (np.isin(signal, ("worse_95", "worse_998")), signal == "worse_998")
        elif kind in ("signal", "fdr"):
            key = tuple(sorted(options.items()))
            if key not in cache:
                cache[key] = assess(
                    x, n, measure=ind.measure, direction=ind.direction,
                    min_denominator=ind.min_denominator, **options,
                )  # fmt: skip
            signal = cache[key].signal if kind == "signal" else cache[key].signal_fdr
            out[name] = (np.isin(signal, ("worse_95", "worse_998")), signal == "worse_998")
        else:
            eligible = (n > 0) & (n >= ind.min_denominator)
            mask = _decile(ind, x, n, eligible, kind, options)
            out[name] = (mask, np.zeros_like(mask))
    return out


def simulate(hospitals: int, provinces: int, seed: int, od: bool, planted_share: float) -> dict:
    """Totals per rule: flags on unplanted hospitals, on rare indicators, planted pairs flagged."""
    rng = np.random.default_rng(seed)
    size = np.clip(rng.lognormal(np.log(1500), 1.0, hospitals), 50, 60000)
    province = rng.integers(0, provinces, hospitals)
    planted = rng.random(hospitals) < planted_share
    inds = indicators()
    totals = {name: np.zeros(6) for name, _, _ in rules()}
    hospitals_alerted = {name: np.zeros(hospitals, dtype=bool) for name, _, _ in rules()}
    for p in range(provinces):
        members = np.flatnonzero(province == p)
        for ind in inds:
            x, n = draw(rng, ind, size[members], od, planted[members])
            eligible = (n > 0) & (n >= ind.min_denominator)
            for name, (alert, alarm) in flags_for(ind, x, n).items():
                null, hit = ~planted[members], planted[members] & eligible
                rare = ind.group == "rare"
                totals[name] += [
                    (alert & null).sum(),
                    (alarm & null).sum(),
                    (alert & null).sum() if rare else 0,
                    (alert & hit).sum(),
                    (alarm & hit).sum(),
                    hit.sum(),
                ]
                hospitals_alerted[name][members[alert & null]] = True
    return {
        "null_hospitals": int((~planted).sum()),
        "totals": totals,
        "any": {k: float(v[~planted].mean()) for k, v in hospitals_alerted.items()},
    }


def table(hospitals: int, provinces: int, seed: int) -> list[dict]:
    rows = []
    for world, od in (("no OD", False), ("OD", True)):
        null = simulate(hospitals, provinces, seed, od, 0.0)
        power = simulate(hospitals, provinces, seed + 1, od, PLANTED_SHARE)
        for name, _, _ in rules():
            t, pw = null["totals"][name], power["totals"][name]
            h = null["null_hospitals"]
            rows.append(
                {
                    "rule": name,
                    "world": world,
                    "alerts": t[0] / h,
                    "alarms": t[1] / h,
                    "any_alert": null["any"][name],
                    "rare_per_1000": 1000 * t[2] / h,
                    "power_alert": pw[3] / pw[5] if pw[5] else float("nan"),
                    "power_alarm": pw[4] / pw[5] if pw[5] else float("nan"),
                }
            )
    return rows


def markdown(rows: list[dict]) -> str:
    head = (
        "| rule | world | false alerts / hospital / quarter | false alarms / hospital / quarter "
        "| hospitals with ≥ 1 false alert | false alerts on rare events / 1,000 hospitals "
        "| power at 2× (alert) | power at 2× (alarm) |\n|---|---|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = [
        f"| {r['rule']} | {r['world']} | {r['alerts']:.3f} | {r['alarms']:.3f} | {r['any_alert']:.1%} "
        f"| {r['rare_per_1000']:.1f} | {r['power_alert']:.1%} | "
        + ("—" if r["rule"].startswith("worst decile") else f"{r['power_alarm']:.1%}")
        + " |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hospitals", type=int, default=13000)
    parser.add_argument("--provinces", type=int, default=31)
    parser.add_argument("--seed", type=int, default=20231)
    parser.add_argument("--quick", action="store_true", help="3 provinces of ~420 hospitals")
    args = parser.parse_args(argv)
    hospitals, provinces = (1260, 3) if args.quick else (args.hospitals, args.provinces)
    started = time.perf_counter()
    rows = table(hospitals, provinces, args.seed)
    print(
        f"{hospitals} hospitals in {provinces} provinces, 55 indicators, seed {args.seed}, "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    print(markdown(rows), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
