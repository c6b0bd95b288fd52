"""Percentiles and percentile rank.

Reference: R `quantile(1:10, c(.1, .25, .5, .75, .9))` (type 7, Hyndman & Fan 1996) is
1.90 3.25 5.50 7.75 9.10; re-derived by hand: h = (n − 1)p + 1, interpolate between order statistics.
"""

import math

import numpy as np
import pytest

from services.benchmark.stats import percentile_rank, rate_percentiles


def test_percentiles_follow_type_seven_interpolation():
    got = rate_percentiles(list(range(1, 11)), [1] * 10)
    assert got == pytest.approx({10: 1.9, 25: 3.25, 50: 5.5, 75: 7.75, 90: 9.1})


def test_percentiles_ignore_units_without_cases_and_below_min_denominator():
    got = rate_percentiles([1, 0, 5, 1], [10, 0, 10, 2], min_denominator=5)
    assert got[50] == pytest.approx(0.3)  # median of 0.1 and 0.5; n = 0 and n = 2 excluded


def test_percentiles_of_no_eligible_unit_are_nan():
    assert all(math.isnan(v) for v in rate_percentiles([0], [0]).values())


def test_percentile_rank_is_100_for_best_and_flips_with_direction():
    higher = percentile_rank([1, 2, 2, 3], [10, 10, 10, 10], direction="higher")
    lower = percentile_rank([1, 2, 2, 3], [10, 10, 10, 10], direction="lower")
    assert list(higher) == [0.0, 50.0, 50.0, 100.0]
    assert list(lower) == [100.0, 50.0, 50.0, 0.0]


def test_percentile_rank_leaves_ineligible_units_unranked():
    ranks = percentile_rank([1, 0, 3, 9], [10, 0, 10, 3], min_denominator=5)
    assert ranks[0] == 0.0 and ranks[2] == 100.0
    assert np.isnan(ranks[1]) and np.isnan(ranks[3])


def test_percentile_rank_of_a_single_unit_is_nan():
    assert np.isnan(percentile_rank([1], [10])[0])
