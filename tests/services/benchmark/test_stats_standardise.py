"""Indirect standardisation: expected counts from baseline rates by peer profile.

Reference: the definition of the indirectly standardised ratio (Breslow & Day 1987, Vol. II §2.3;
NHSN SIR guide: SIR = observed / predicted, predicted from the baseline rate of the facility's
stratum). Checked by hand on small numbers, and O/E = 1 for every profile when the period is its own
baseline.
"""

import numpy as np
import pytest

from services.benchmark.stats import funnel
from services.benchmark.stats_standardise import baseline_rates, expected_counts


def test_baseline_rates_pool_each_profile():
    rates = baseline_rates(
        [2, 6, 1, 0], [1000, 2000, 500, 0], ["三级综合", "三级综合", "二级综合", "二级专科"]
    )
    assert rates == {"三级综合": pytest.approx(8 / 3000), "二级综合": pytest.approx(1 / 500)}


def test_expected_counts_use_the_profile_rate_and_nan_without_baseline():
    e = expected_counts(
        [1500, 250, 300], ["三级综合", "二级综合", "二级专科"], {"三级综合": 0.004, "二级综合": 0.002}
    )
    assert e[0] == pytest.approx(6.0) and e[1] == pytest.approx(0.5) and np.isnan(e[2])


def test_a_period_against_its_own_baseline_has_pooled_o_over_e_of_one_per_profile():
    x = np.array([3, 5, 0, 9, 2, 4])
    n = np.array([1000, 1500, 400, 3000, 800, 1200])
    profile = ["a", "a", "b", "b", "c", "c"]
    e = expected_counts(n, profile, baseline_rates(x, n, profile))
    for key in "abc":
        members = np.array([p == key for p in profile])
        assert x[members].sum() / e[members].sum() == pytest.approx(1.0)
    result = funnel(range(6), x, e, measure="ratio", min_denominator=1)
    assert result.target == 1.0 and result.rate == pytest.approx(x / e)
