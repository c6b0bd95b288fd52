"""False-alarm control, the over-dispersion test, the worst-decile rule and year-over-year for rates.

- [BH95] Benjamini Y, Hochberg Y. Controlling the false discovery rate. JRSS B 1995;57:289–300,
  section 4: 15 p-values of Neuhaus et al.; at q = 0.05 the step-up procedure rejects the 4 smallest.
- [JOS08] Jones HE, Ohlssen DI, Spiegelhalter DJ. J Clin Epidemiol 2008;61:232–240: q-values of
  one-sided p-values across the providers of one comparison.
- [CHI2] χ² table, 95th percentile with 29 degrees of freedom = 42.557 (any statistics textbook).
- [R-PT] R stats::poisson.test(c(11, 21), c(800, 3011)) (the eba1977 example of its help page):
  rate ratio 1.971488, 95% CI 0.8584264 to 4.2772659; poisson.test(c(2, 13), c(5, 5)): rate ratio
  0.1538462, 95% CI 0.01685531 to 0.67955077 (output quoted on stats.stackexchange.com q. 547389).
"""

import numpy as np
import pytest

from services.benchmark.change import change
from services.benchmark.stats import (
    DEFAULT_DECILE_MIN_EVENTS,
    benjamini_hochberg,
    funnel,
    overdispersion_detected,
    rate_ratio_interval,
    worst_decile_mask,
)

BH_EXAMPLE = [
    0.0001,
    0.0004,
    0.0019,
    0.0095,
    0.0201,
    0.0278,
    0.0298,
    0.0344,
    0.0459,
    0.3240,
    0.4262,
    0.5719,
    0.6528,
    0.7590,
    1.0,
]


def test_benjamini_hochberg_rejects_the_four_smallest_of_the_published_example():
    q = benjamini_hochberg(BH_EXAMPLE)
    assert list(q < 0.05) == [True] * 4 + [False] * 11  # [BH95]
    assert q[3] == pytest.approx(0.0095 * 15 / 4) and q[1] == pytest.approx(0.0004 * 15 / 2)


def test_benjamini_hochberg_keeps_nan_out_of_the_count_and_the_order():
    p = [np.nan, 0.01, 0.04, np.nan, 0.03]
    q = benjamini_hochberg(p)
    assert np.isnan(q[0]) and np.isnan(q[3])
    assert q[1] == pytest.approx(0.03) and q[2] == pytest.approx(0.04) and q[4] == pytest.approx(0.04)


def test_signal_fdr_uses_q_values_of_the_worse_side():
    rng = np.random.default_rng(5)
    n = np.full(400, 500)
    x = rng.binomial(n, 0.1)
    x[:3] = [95, 110, 80]  # three truly worse units (lower is better)
    result = funnel(range(400), x, n, direction="lower")
    assert set(np.flatnonzero(np.isin(result.signal_fdr, ("worse_95", "worse_998"))).tolist()) <= {0, 1, 2}
    assert result.signal_fdr[0] == "worse_998" and result.q_worse[0] < 0.002
    assert np.all(result.q_worse >= result.p_worse - 1e-15)
    plain_worse = np.isin(result.signal, ("worse_95", "worse_998")).sum()
    assert plain_worse > 3  # the 95% limits also flag chance units; the q-values do not


def test_p_and_q_are_nan_for_units_that_are_not_assessed():
    result = funnel(["a", "b", "c"], [1, 0, 3], [5, 0, 100], min_denominator=10)
    assert np.isnan(result.p_worse[:2]).all() and np.isnan(result.q_worse[:2]).all()
    assert list(result.signal_fdr[:2]) == ["insufficient", "insufficient"]


def test_overdispersion_test_is_k_phi_against_chi_square_95th_percentile():
    assert overdispersion_detected(1.5, 30)  # 45.0 > 42.557 [CHI2]
    assert not overdispersion_detected(1.4, 30)  # 42.0 < 42.557
    assert not overdispersion_detected(float("nan"), 30) and not overdispersion_detected(5.0, 1)


def test_worst_decile_never_fires_when_p90_is_zero():
    x = np.array([0] * 95 + [1] * 5)
    n = np.full(100, 300)
    mask = worst_decile_mask(x, n, 0.0, direction="lower", eligible=np.ones(100, bool))
    assert not mask.any()


def test_worst_decile_never_fires_on_one_event_of_a_rare_indicator():
    x = np.array([1, 1, 2, 3, 0])
    n = np.array([20, 50, 60, 80, 500])  # 1/20 = 5% against a cut of 0.2%
    mask = worst_decile_mask(x, n, 0.002, direction="lower", eligible=np.ones(5, bool), min_events=3)
    assert list(mask) == [False, False, False, True, False]  # only 3 events whose interval clears the cut
    assert DEFAULT_DECILE_MIN_EVENTS == 5  # the simulation's choice (docs/methods.md §9)
    assert not worst_decile_mask(x, n, 0.002, direction="lower", eligible=np.ones(5, bool)).any()


def test_worst_decile_needs_the_whole_interval_beyond_the_cut():
    # higher is better (compliance): P10 = 0.80; 70/100 has Wilson 95% upper 0.78 < 0.80, 75/100 does not
    mask = worst_decile_mask(
        [70, 75, 99], [100, 100, 100], 0.80, direction="higher", eligible=np.ones(3, bool)
    )
    assert list(mask) == [True, False, False]
    # the failures count as the bad-side events: 1 failure of 3 never fires
    assert not worst_decile_mask([2], [3], 0.99, direction="higher", eligible=np.ones(1, bool)).any()


def test_worst_decile_for_rates_uses_poisson_intervals():
    mask = worst_decile_mask(
        [12, 3],
        [2000, 100],
        0.002,
        direction="lower",
        eligible=np.ones(2, bool),
        measure="rate",
        min_events=3,
    )  # 12 in 2000: Byar lower 95% 3.1‰ > 2‰; 3 in 100: exact lower 6.2‰ > 2‰
    assert list(mask) == [True, True]


def test_rate_ratio_interval_matches_r_poisson_test():
    ratio, low, high = rate_ratio_interval([11, 2], [800, 5], [21, 13], [3011, 5])
    assert ratio == pytest.approx([1.971488, 0.1538462], rel=1e-6)  # [R-PT]
    assert low == pytest.approx([0.8584264, 0.01685531], rel=1e-6)
    assert high == pytest.approx([4.2772659, 0.67955077], rel=1e-6)


def test_rate_ratio_interval_edges():
    ratio, low, high = rate_ratio_interval([0, 4, 0], [100, 100, 100], [4, 0, 0], [100, 100, 0])
    assert ratio[0] == 0.0 and low[0] == 0.0 and high[0] > 1
    assert np.isinf(ratio[1]) and np.isinf(high[1]) and low[1] > 0
    assert np.isnan(ratio[2]) and np.isnan(low[2])


def test_change_for_rates_uses_the_exact_ratio_interval_and_says_so():
    result = change(
        "rate", [30, 12, 5], [10000, 10000, 10000], [10, 10, 3], [10000, 10000, 0], direction="lower"
    )
    assert result.method == "rate_ratio_exact_conditional"
    assert list(result.verdict) == ["worsened", "no_significant_change", "insufficient"]
    ratio, low, high = rate_ratio_interval([30], [10000], [10], [10000])
    assert result.ratio[0] == pytest.approx(3.0) and result.ratio_low[0] == pytest.approx(low[0])
    assert (
        result.low[0] == pytest.approx(0.001 * (low[0] - 1)) and result.low[0] > 0
    )  # same verdict on both scales
    improved = change("rate", [10], [10000], [30], [10000], direction="lower")
    assert improved.verdict[0] == "improved" and improved.high[0] < 0


def test_change_for_proportions_still_uses_newcombe():
    result = change("proportion", [56], [70], [48], [80], direction="higher")
    assert result.method == "newcombe_hybrid_score" and result.ratio is None
    assert result.low[0] == pytest.approx(0.0524, abs=5e-5)  # Newcombe 1998 Table II (methods.md §6)


def test_overdispersion_option_accepts_true_false_auto_and_numpy_booleans():
    x, n = [50, 80, 120, 200, 260, 300, 90, 150, 40, 310], [1000] * 10
    assert funnel(range(10), x, n, overdispersion=np.bool_(True)).overdispersion
    assert funnel(range(10), x, n, overdispersion="auto").overdispersion  # k·φ far beyond χ²
    assert not funnel(range(10), x, n, overdispersion=False).overdispersion
    with pytest.raises(ValueError, match="auto"):
        funnel(range(10), x, n, overdispersion="sometimes")
