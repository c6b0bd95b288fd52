"""Intervals checked against published reference values, not against our own outputs.

Sources (cited next to each value):
- [N98a] Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
  methods. Stat Med 1998;17:857-872, Table I (Wilson score, method 3). Values also used by the
  propint R package tests: m-Py/propint tests/testthat/test_Single_Proportion_CI.R.
- [N98b] Newcombe RG. Interval estimation for the difference between independent proportions:
  comparison of eleven methods. Stat Med 1998;17:873-890, Table II, method 10. (a) and (b) also in
  m-Py/propint tests/testthat/test_Two_Independent_Props_CI.R.
- [EPI] epitools pois.exact documentation: x = 0 gives an exact upper limit of 3.689.
- [DT] DescTools PoissonCI reference page, horse-kick example: x = 196, n = 280,
  exact 0.6054271 to 0.8051570.
- [PHE-TG] PHE Technical Guide "Confidence Intervals" (2018): Byar's method is within 0.2% of the
  exact value for numerators of 10 or more (95% intervals).
Every value was also re-derived independently with scipy while writing these tests.
"""

import numpy as np
import pytest
from scipy import stats as sps

from services.benchmark.stats import (
    BYARS_MIN_COUNT,
    byars_interval,
    count_interval,
    mean_interval,
    newcombe_difference,
    poisson_exact_interval,
    rate_interval,
    ratio_interval,
    wilson_interval,
    year_over_year,
)

# (x, n, lower, upper) rounded to 4 dp in the paper
NEWCOMBE_WILSON = [
    (81, 263, 0.2553, 0.3662),  # [N98a] Table I
    (15, 148, 0.0624, 0.1605),  # [N98a] Table I
    (0, 20, 0.0000, 0.1611),  # [N98a] Table I, zero numerator
    (1, 29, 0.0061, 0.1718),  # [N98a] Table I
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE_WILSON)
def test_wilson_matches_newcombe_table_one(x, n, low, high):
    got_low, got_high = wilson_interval([x], [n])
    assert got_low[0] == pytest.approx(low, abs=5e-5)
    assert got_high[0] == pytest.approx(high, abs=5e-5)


def test_wilson_zero_numerator_has_lower_limit_exactly_zero():
    low, high = wilson_interval([0, 0], [1, 20], 0.998)
    assert list(low) == [0.0, 0.0]
    assert np.all(high > 0)


def test_wilson_numerator_equal_denominator_has_upper_limit_exactly_one():
    low, high = wilson_interval([1, 20], [1, 20])
    assert list(high) == [1.0, 1.0]
    # x = n is the mirror of x = 0: 20/20 lower = 1 - upper(0/20) = 1 - 0.1611 [N98a] Table I
    assert low[1] == pytest.approx(1 - 0.1611, abs=5e-5)


def test_wilson_single_case_is_wide_but_inside_unit_interval():
    low, high = wilson_interval([0, 1], [1, 1], 0.998)
    z2 = sps.norm.ppf(0.999) ** 2
    # n = 1, x = 0: upper = z²/(1+z²) (closed form of the Wilson bound)
    assert high[0] == pytest.approx(z2 / (1 + z2), rel=1e-12)
    assert low[1] == pytest.approx(1 / (1 + z2), rel=1e-12)


def test_wilson_zero_denominator_is_nan_never_a_rate_of_zero():
    low, high = wilson_interval([0, 3], [0, 10])
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert not np.isnan(low[1])


def test_wilson_rejects_numerator_above_denominator():
    with pytest.raises(ValueError, match="numerator must not exceed denominator"):
        wilson_interval([5], [4])


def test_wilson_is_vectorised_over_mixed_edge_cases():
    low, high = wilson_interval([81, 0, 1, 0], [263, 20, 1, 0])
    assert low.shape == (4,) and np.isnan(high[3])


def test_exact_poisson_upper_for_zero_events_is_3_689():
    low, high = poisson_exact_interval([0])
    assert low[0] == 0.0
    assert high[0] == pytest.approx(3.689, abs=5e-4)  # [EPI]


def test_exact_poisson_matches_descTools_horse_kick_example():
    low, high = poisson_exact_interval([196])
    assert low[0] / 280 == pytest.approx(0.6054271, abs=5e-8)  # [DT]
    assert high[0] / 280 == pytest.approx(0.8051570, abs=5e-8)  # [DT]


def test_byars_within_two_tenths_percent_of_exact_from_ten_events():
    counts = np.arange(BYARS_MIN_COUNT, 2001)
    exact_low, exact_high = poisson_exact_interval(counts)
    byars_low, byars_high = byars_interval(counts)
    assert np.max(np.abs(byars_low / exact_low - 1)) < 0.002  # [PHE-TG]
    assert np.max(np.abs(byars_high / exact_high - 1)) < 0.002  # [PHE-TG]


def test_count_interval_switches_from_exact_to_byars_at_ten():
    low, high = count_interval([9, 10])
    exact_low, exact_high = poisson_exact_interval([9, 10])
    byars_low, byars_high = byars_interval([9, 10])
    assert (low[0], high[0]) == (exact_low[0], exact_high[0])
    assert (low[1], high[1]) == (byars_low[1], byars_high[1])
    assert low[1] != exact_low[1]


def test_rate_per_thousand_catheter_days_scales_counts_and_limits():
    rate, low, high = rate_interval([0, 196], [500, 280], multiplier=1000)
    assert rate[0] == 0.0 and low[0] == 0.0
    assert high[0] == pytest.approx(3.689 / 500 * 1000, abs=1e-3)  # [EPI], scaled
    assert rate[1] == pytest.approx(700.0)
    assert low[1] == pytest.approx(605.4271, rel=0.002)  # Byar's ≈ exact [DT] within [PHE-TG]
    assert high[1] == pytest.approx(805.1570, rel=0.002)


def test_rate_with_zero_exposure_is_nan():
    rate, low, high = rate_interval([0], [0], multiplier=1000)
    assert np.isnan(rate[0]) and np.isnan(low[0]) and np.isnan(high[0])


def test_mean_interval_from_sums_equals_t_interval_on_raw_values():
    values = np.array([30.0, 40.0, 50.0, 60.0])  # PHEindicatormethods phe_mean example data
    expected = sps.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sps.sem(values))
    mean, low, high = mean_interval([values.sum()], [len(values)], [(values**2).sum()])
    assert mean[0] == 45.0
    assert (low[0], high[0]) == pytest.approx(expected, rel=1e-12)


def test_mean_interval_needs_two_patients():
    mean, low, _ = mean_interval([5.0, 0.0], [1, 0], [25.0, 0.0])
    assert mean[0] == 5.0 and np.isnan(low[0]) and np.isnan(mean[1])


def test_ratio_without_sum_of_squares_uses_poisson_count_interval():
    ratio, low, high = ratio_interval([4], [200], multiplier=100)
    exact_low, exact_high = poisson_exact_interval([4])
    assert ratio[0] == 2.0
    assert (low[0], high[0]) == pytest.approx((exact_low[0] / 2, exact_high[0] / 2))


# (x1, n1, x2, n2, lower, upper) from [N98b] Table II, method 10, rounded to 4 dp
NEWCOMBE_DIFFERENCES = [
    (56, 70, 48, 80, 0.0524, 0.3339),  # (a)
    (9, 10, 3, 10, 0.1705, 0.8090),  # (b)
    (6, 7, 2, 7, 0.0582, 0.8062),  # (c)
    (5, 56, 0, 29, -0.0381, 0.1926),  # (d) zero numerator
    (0, 10, 0, 20, -0.1611, 0.2775),  # (e) both zero
    (0, 10, 0, 10, -0.2775, 0.2775),  # (f)
    (10, 10, 0, 20, 0.6791, 1.0000),  # (g) numerator = denominator
    (10, 10, 0, 10, 0.6075, 1.0000),  # (h)
]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "low", "high"), NEWCOMBE_DIFFERENCES)
def test_newcombe_hybrid_score_matches_table_two(x1, n1, x2, n2, low, high):
    diff, got_low, got_high = newcombe_difference([x1], [n1], [x2], [n2])
    assert diff[0] == pytest.approx(x1 / n1 - x2 / n2)
    assert got_low[0] == pytest.approx(low, abs=5e-5)
    assert got_high[0] == pytest.approx(high, abs=5e-5)


def test_year_over_year_verdict_is_direction_aware():
    # 56/70 now vs 48/80 before: interval 0.0524..0.3339 excludes 0 [N98b] (a)
    higher = year_over_year([56, 9, 48], [70, 10, 80], [48, 3, 56], [80, 10, 70], direction="higher")
    lower = year_over_year([56, 9, 48], [70, 10, 80], [48, 3, 56], [80, 10, 70], direction="lower")
    assert list(higher.verdict) == ["improved", "improved", "worsened"]
    assert list(lower.verdict) == ["worsened", "worsened", "improved"]


def test_year_over_year_without_significant_change_or_cases():
    result = year_over_year([0, 0], [10, 0], [0, 1], [20, 5])  # (e) spans 0; n = 0 has no rate
    assert list(result.verdict) == ["no_significant_change", "insufficient"]
