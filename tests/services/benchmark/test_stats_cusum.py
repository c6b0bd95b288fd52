"""Risk-adjusted CUSUM and EWMA (pure) against published values, hand-solved chains and simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from services.benchmark.stats_cusum import (
    cusum,
    cusum_path,
    cusum_weights,
    ewma,
    first_funnel_alarm,
    llr_poisson_arl,
    markov_arl,
    poisson_cusum_arl,
    variance_inflation,
)


def test_markov_chain_reproduces_brook_and_evans_1972():
    # Brook & Evans (1972, Biometrika 59:539-549) §4.3: one-sided normal CUSUM, k = 0.5, h = 3:
    # L0 = 117.59 (in control), L1 = 3.75 (mean shifted by 1.5 SD), by their Markov chain.
    in_control = markov_arl(lambda z: sps.norm.cdf(z + 0.5), 3.0)
    shifted = markov_arl(lambda z: sps.norm.cdf(z + 0.5 - 1.5), 3.0)
    assert in_control == pytest.approx(117.59, abs=0.05)
    assert shifted == pytest.approx(3.75, abs=0.005)


def test_markov_chain_is_near_the_integral_equation_value():
    # Waldmann (1986) by the integral equation: 117.4 for the same chart; the chain converges to it.
    assert markov_arl(lambda z: sps.norm.cdf(z + 0.5), 3.0, states=400) == pytest.approx(117.4, rel=0.003)


def test_lattice_chain_matches_a_hand_solved_two_state_poisson_cusum():
    # k = 1, signal when S ≥ 2 (h = 1.5): states {0, 1}. From 0: x ≤ 1 → 0, x = 2 → 1, x ≥ 3 → signal;
    # from 1: x = 0 → 0, x = 1 → 1, x ≥ 2 → signal. Solve the two linear equations by hand.
    mu = 0.8
    p0, p1, p2 = (sps.poisson.pmf(i, mu) for i in range(3))
    # L0 = 1 + (p0 + p1) L0 + p2 L1 ; L1 = 1 + p0 L0 + p1 L1  →  L1 = (1 + p0 L0) / (1 − p1)
    a = 1 - p0 - p1 - p2 * p0 / (1 - p1)
    expected = (1 + p2 / (1 - p1)) / a
    assert poisson_cusum_arl(mu, 1.0, 1.5) == pytest.approx(expected, rel=1e-10)


def test_poisson_arl_matches_simulation():
    rng = np.random.default_rng(17)
    expected, k, h = 1.0, 1.0 / np.log(2.0), 4.0 / np.log(2.0)
    runs = []
    for _ in range(3000):
        s, t = 0.0, 0
        while True:
            t += 1
            s = max(0.0, s + rng.poisson(2.0 * expected) - round(k, 3))
            if s > round(h, 3):
                break
        runs.append(t)
    simulated = float(np.mean(runs))
    se = float(np.std(runs) / np.sqrt(len(runs)))
    assert abs(simulated - llr_poisson_arl(expected, 2.0, h=4.0)) < 4 * se


def test_doubling_is_found_faster_than_a_false_alarm():
    for e in (0.05, 1.0, 10.0):
        assert llr_poisson_arl(e, 2.0) < llr_poisson_arl(e, 1.0) / 10


def test_binomial_weights_equal_the_sum_of_steiner_patient_weights():
    # Steiner et al. (2000): a patient with risk p scores ln(R / (1 − p + Rp)) if the bad outcome
    # happens and ln(1 / (1 − p + Rp)) otherwise. A quarter of 40 patients with 3 deaths at p = 0.05:
    r, p, n, x = 2.0, 0.05, 40, 3
    per_patient = x * np.log(r / (1 - p + r * p)) + (n - x) * np.log(1 / (1 - p + r * p))
    w = cusum_weights([x], [n], [p], measure="proportion", direction="lower", ratio=r)
    assert w[0] == pytest.approx(per_patient, rel=1e-12)


def test_higher_is_better_proportion_watches_failures():
    # 90% compliance expected; 80 of 100 compliant = 20 failures where 10 were expected: a bad quarter.
    bad = cusum_weights([80], [100], [0.9], measure="proportion", direction="higher")
    good = cusum_weights([98], [100], [0.9], measure="proportion", direction="higher")
    assert bad[0] > 0 > good[0]
    # the same as a lower-is-better indicator counting failures at 10%
    assert bad[0] == pytest.approx(
        cusum_weights([20], [100], [0.1], measure="proportion", direction="lower")[0]
    )


def test_higher_is_better_rate_alternative_is_half():
    # expected 10 events, 3 seen: bad for a higher-is-better rate (ρ = 1/2: W = −3 ln 2 + 5)
    w = cusum_weights([3], [1000], [0.01], measure="rate", direction="higher")
    assert w[0] == pytest.approx(-3 * np.log(2) + 5.0)


def test_poisson_weight_is_lucas_form():
    w = cusum_weights([4], [2000], [0.001], measure="rate", direction="lower")  # E = 2
    assert w[0] == pytest.approx(4 * np.log(2) - 2.0)


def test_cusum_restarts_after_a_signal_and_empty_quarters_carry_over():
    s, hit = cusum([2.0, 2.5, 1.0, -5.0, 0.0], h=4.0)
    assert list(hit) == [False, True, False, False, False]
    assert list(s) == [2.0, 4.5, 1.0, 0.0, 0.0]
    w = cusum_weights([0], [0], [0.1], measure="proportion", direction="lower")
    assert w[0] == 0.0


def test_ewma_limits_narrow_with_size_and_stay_at_one_in_control():
    small = ewma([1] * 8, [100] * 8, 0.01, measure="proportion", direction="lower")
    large = ewma([100] * 8, [10000] * 8, 0.01, measure="proportion", direction="lower")
    assert small.value[-1] == pytest.approx(1.0) and large.value[-1] == pytest.approx(1.0)
    assert (large.upper < small.upper).all()
    # Var(r) = (1 − p) / (n p) = 0.99; after 8 quarters Var(z) = λ/(2−λ) (1 − (1−λ)^16) Var(r)
    var = 0.99 * 0.2 / 1.8 * (1 - 0.8**16)
    assert small.upper[-1] == pytest.approx(1 + 3 * np.sqrt(var), rel=0.01)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="alternative ratio"):
        cusum_weights([1], [10], [0.1], measure="proportion", direction="lower", ratio=1.0)
    with pytest.raises(ValueError, match="measure"):
        cusum_weights([1], [10], [0.1], measure="mean", direction="lower")
    with pytest.raises(ValueError, match="x ≤ n"):
        cusum_weights([11], [10], [0.1], measure="proportion", direction="lower")
    with pytest.raises(ValueError, match="h must be positive"):
        cusum([1.0], h=0)


def test_slow_drift_warns_before_any_funnel_alarm():
    # A hospital of 400 patients a quarter whose complication proportion drifts from 2% up by
    # 0.1 point a quarter (expected counts, no noise): no single quarter is far enough out for the
    # funnel's 95% limit before the 17th, nor its 99.8% limit in six years; the CUSUM adds the
    # evidence up and signals in the 14th (rate 3.4%, 1.7 × expected).
    n, p0, quarters = 400, 0.02, 24
    x = np.round((p0 + 0.001 * np.arange(1, quarters + 1)) * n)
    sizes = np.full(quarters, n)
    path = cusum_path(x, sizes, p0, measure="proportion", direction="lower")
    alert = first_funnel_alarm(x, sizes, p0, measure="proportion", direction="lower", level="alert")
    alarm = first_funnel_alarm(x, sizes, p0, measure="proportion", direction="lower", level="alarm")
    assert (path.first_signal, alert, alarm) == (13, 16, None)


def test_over_dispersion_divides_the_weight_by_the_funnels_variance_inflation():
    # arcsine scale: s² = 1/(4n), so (s² + τ²)/s² = 1 + 4nτ²; √(O/E) scale: s² = 1/(4E)
    assert variance_inflation([500], 0.02, 0.001, measure="proportion")[0] == pytest.approx(3.0)
    assert variance_inflation([20000], 0.001, 0.0225, measure="rate")[0] == pytest.approx(2.8)
    assert variance_inflation([500], 0.02, None, measure="proportion")[0] == 1.0
    plain = cusum_weights([16], [500], [0.02], measure="proportion", direction="lower")
    damped = cusum_weights([16], [500], [0.02], measure="proportion", direction="lower", inflation=3.0)
    assert damped[0] == pytest.approx(plain[0] / 3)
    with pytest.raises(ValueError, match="at least 1"):
        cusum_weights([16], [500], [0.02], measure="proportion", direction="lower", inflation=0.5)
