"""Exact binomial and Poisson funnels, checked against published values and first principles.

- [ISSUE] issue 13: pooled 0.05%, n = 300, one death: z ≈ 2.2 under the normal approximation, but
  P(X ≥ 1) ≈ 0.14 under the target; it must not alert under exact limits.
- [S05] Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med
  2005;24:1185–1202, appendix: r = the smallest count with F(r) ≥ q, limit (r − a)/n with
  a = (F(r) − q)/(F(r) − F(r − 1)); limits continuous in n. Checked here with binomial
  probabilities written out with math.comb, not with the code under test.
- [MS12] Manktelow BN, Seaton SE. Specifying the probability characteristics of funnel plot control
  limits. PLoS One 2012;7:e45723: with the conservative interpolation an in-control unit falls
  outside a limit with probability below the nominal p.
- [PHE-RATE] ukhsa-collaboration/PHEindicatormethods (commit 093fd28)
  tests/testthat/testdata_funnel_rate_outputs_2.csv: for k events, the population (per year, 3 years
  of data) at which k lies exactly on the 95% / 99.8% limits around the baseline 114.8591735 per
  100,000 (poisson_funnel, exact Poisson for every k). Rows copied verbatim.
- [PHE-RATIO] same repo, tests/testthat/testdata_funnel_ratio_outputs.csv: for O observed, the
  expected count E at which O lies exactly on the limits of the O/E funnel around 1.
"""

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from services.benchmark.stats import funnel
from services.benchmark.stats_exact import (
    binomial_limits,
    binomial_tails,
    poisson_count_limits,
    poisson_tails,
)


def test_issue_example_one_death_in_300_at_pooled_005_percent_does_not_alert_under_exact_limits():
    units, x, n = ["a", "b"], [1, 0], [300, 300]
    exact = funnel(units, x, n, target=0.0005, direction="lower")
    normal = funnel(units, x, n, target=0.0005, direction="lower", limits="normal")
    assert exact.signal[0] == "none"
    assert exact.p_worse[0] == pytest.approx(1 - (1 - 0.0005) ** 300, rel=1e-9)  # [ISSUE] ≈ 0.14
    assert exact.p_worse[0] == pytest.approx(0.14, abs=0.005)
    assert normal.z[0] == pytest.approx(2.2, abs=0.05) and normal.signal[0] == "worse_95"  # [ISSUE]
    assert exact.limit95_high[0] * 300 > 1  # drawn above the point, so plot and signal agree


def _spiegelhalter_quantile(n, p, q):
    """[S05] appendix, written out: r − a for the q quantile of Binomial(n, p)."""
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    cdf = list(itertools.accumulate(pmf))
    r = next(r for r in range(n + 1) if cdf[r] >= q)
    f_r, f_below = cdf[r], (cdf[r - 1] if r > 0 else 0.0)
    return r - (f_r - q) / (f_r - f_below)


@pytest.mark.parametrize(("n", "p"), [(20, 0.3), (57, 0.12), (150, 0.02), (400, 0.85), (1000, 0.005)])
def test_lower_limit_is_spiegelhalters_interpolated_quantile(n, p):
    for q in (0.025, 0.001):
        expected = max(_spiegelhalter_quantile(n, p, q), 0.0) / n
        low, _ = binomial_limits(p, [n], 1 - q)
        assert low[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("n", "p"), [(20, 0.3), (57, 0.12), (150, 0.02), (400, 0.85), (1000, 0.005)])
def test_upper_limit_is_the_same_interpolation_on_the_mirrored_tail(n, p):
    """Upper limit for X = n minus Spiegelhalter's lower limit for n − X ~ Binomial(n, 1 − p)."""
    for q in (0.025, 0.001):
        expected = min(n - _spiegelhalter_quantile(n, 1 - p, q), n) / n
        _, high = binomial_limits(p, [n], 1 - q)
        assert high[0] == pytest.approx(expected, abs=1e-9)


def test_binomial_limits_are_continuous_in_n():
    """[S05]: the interpolation removes the saw-tooth; consecutive n move the limit by well under one
    event (a jump would be ≥ 1/n)."""
    n = np.arange(5, 1500)
    for p in (0.0005, 0.03, 0.5, 0.92):
        for q in (0.975, 0.999):
            low, high = binomial_limits(p, n, q)
            for limit in (low * n, high * n):  # on the count scale, where not clipped to [0, n]
                inside = (limit[:-1] > 0) & (limit[1:] > 0) & (limit[:-1] < n[:-1]) & (limit[1:] < n[1:])
                assert np.all(np.abs(np.diff(limit) - p)[inside] < 0.5)


@pytest.mark.parametrize("p", [0.0005, 0.01, 0.2, 0.6, 0.97])
def test_outside_the_exact_limits_exactly_when_the_one_sided_tail_is_below_the_level(p):
    """[MS12] conservative limits: x beyond the limit ⇔ P(tail) < 1 − q; so the chance of an
    in-control unit falling outside is below the nominal level."""
    for n in (1, 7, 30, 299, 300, 1200):
        x = np.arange(n + 1)
        upper, lower = binomial_tails(x, np.full(x.size, n), p)
        for q in (0.975, 0.999):
            low, high = binomial_limits(p, [n], q)
            assert np.array_equal(x / n > high[0] + 1e-12, upper < 1 - q)
            assert np.array_equal(x / n < low[0] - 1e-12, lower < 1 - q)
            assert upper[x / n > high[0] + 1e-12].sum() <= 1  # tails of flagged points are small
            pmf = np.diff(np.concatenate([[0.0], 1 - upper[1:], [1.0]]))
            assert pmf[x / n > high[0] + 1e-12].sum() < 1 - q  # in-control chance of an upper flag


def test_poisson_tails_match_closed_forms():
    upper, lower = poisson_tails([0, 1, 3], [2.0, 2.0, 2.0])
    assert upper[0] == 1.0 and upper[1] == pytest.approx(1 - math.exp(-2))
    assert lower[2] == pytest.approx(math.exp(-2) * (1 + 2 + 2 + 4 / 3))


# Events, population per year at the lower 95% limit, at the upper 95% limit, at the lower 99.8%
# limit, at the upper 99.8% limit — [PHE-RATE] rows, 3 years of data, baseline 114.8591735 / 100,000.
PHE_RATE_FUNNEL = [
    (1, 1616.949526, 7.347518827, 2679.632184, 0.290369211),
    (2, 2096.679871, 70.2917202, 3258.735028, 13.17613227),
    (5, 3386.272291, 471.1527094, 4775.339014, 214.5734657),
    (9, 4958.18753, 1194.324587, 6575.408478, 711.7194444),
    (10, 5337.07421, 1391.671639, 7003.931164, 859.1738425),
    (19, 8610.790778, 3319.787295, 10651.00809, 2410.369911),
    (89, 31784.47049, 20742.5953, 35459.43516, 18187.1022),
    (438, 139592.5912, 115485.2273, 147022.6539, 109166.9207),
    (1274, 390602.1071, 349702.1185, 402869.8748, 338543.1027),
]
PHE_RATE_BASELINE = 114.8591735 / 100_000


@pytest.mark.parametrize(("events", "low95", "high95", "low998", "high998"), PHE_RATE_FUNNEL)
def test_exact_rate_funnel_boundaries_match_phe_poisson_funnel(events, low95, high95, low998, high998):
    """A unit with k events is on a limit at PHE's population: slightly more exposure puts it below
    the lower limit (rate lower than target: better when lower is better), slightly less above."""
    eps = 1e-4  # PHE bisects to 1e-7 on v = E/(1 + O + E): about 4e-6 relative at E ≈ 0.03

    def signal(population_per_year, factor):
        exposure = 3 * population_per_year * factor
        return funnel(
            ["u"],
            [events],
            [exposure],
            measure="rate",
            target=PHE_RATE_BASELINE,
            direction="lower",
            min_denominator=0,
        ).signal[0]

    assert signal(low95, 1 + eps) == "better_95" and signal(low95, 1 - eps) == "none"
    assert signal(low998, 1 + eps) == "better_998" and signal(low998, 1 - eps) == "better_95"
    assert signal(high95, 1 - eps) == "worse_95" and signal(high95, 1 + eps) == "none"
    assert signal(high998, 1 - eps) == "worse_998" and signal(high998, 1 + eps) == "worse_95"


# Observed, expected at the lower 95% limit, upper 95%, lower 99.8%, upper 99.8% — [PHE-RATIO] rows.
PHE_RATIO_FUNNEL = [
    (1, 5.571644585, 0.025317898, 9.233410143, 0.001000547),
    (3, 8.767273828, 0.618671905, 13.06224507, 0.190533306),
    (8, 15.76318696, 3.453831154, 21.15619716, 1.970813969),
    (10, 18.39035799, 4.795387629, 24.13397235, 2.960519925),
    (43, 57.92070564, 31.1193069, 67.37273073, 25.54230739),
    (261, 294.6611243, 230.293337, 314.8817384, 213.9104845),
    (653, 705.0634143, 603.8692656, 735.8854597, 576.8733549),
]


@pytest.mark.parametrize(("observed", "low95", "high95", "low998", "high998"), PHE_RATIO_FUNNEL)
def test_exact_ratio_funnel_boundaries_match_phe_poisson_funnel(observed, low95, high95, low998, high998):
    eps = 1e-4  # PHE bisects to 1e-7 on v = E/(1 + O + E): about 4e-6 relative at E ≈ 0.03

    def signal(expected, factor):
        return funnel(
            ["u"], [observed], [expected * factor], measure="ratio", direction="lower", min_denominator=0
        ).signal[0]

    assert signal(low95, 1 + eps) == "better_95" and signal(low95, 1 - eps) == "none"
    assert signal(low998, 1 + eps) == "better_998"
    assert signal(high95, 1 - eps) == "worse_95" and signal(high95, 1 + eps) == "none"
    assert signal(high998, 1 - eps) == "worse_998"


def test_poisson_count_limits_are_continuous_and_consistent_with_the_tail_test():
    mu = np.linspace(0.01, 60, 60000)
    for q in (0.975, 0.999):
        low, high = poisson_count_limits(mu, q)
        assert np.max(np.abs(np.diff(high))) < 0.1 and np.max(np.abs(np.diff(low))) < 0.1
        for m, lo, hi in zip(mu[::997], low[::997], high[::997], strict=True):
            x = np.arange(0, int(m * 3 + 20))
            upper, lower = poisson_tails(x, np.full(x.size, m))
            assert np.array_equal(x > hi + 1e-9, upper < 1 - q)
            assert np.array_equal(x < lo - 1e-9, lower < 1 - q)


def test_exact_z_is_the_normal_equivalent_of_the_exact_tail():
    result = funnel(["a", "b", "c"], [9, 0, 3], [100, 100, 100], target=0.03, direction="lower")
    upper, lower = binomial_tails([9, 0, 3], [100] * 3, 0.03)
    assert result.z[0] == pytest.approx(-sps.norm.ppf(upper[0]))
    assert result.z[1] == pytest.approx(sps.norm.ppf(lower[1]))
    assert upper[2] > 0.5 and lower[2] > 0.5 and result.z[2] == 0.0  # x = mean: neither tail below ½
    assert result.limits_method == "exact_binomial"


@pytest.mark.parametrize("measure", ["proportion", "rate"])
def test_exact_funnel_signals_are_the_one_sided_tail_test_on_random_data(measure):
    rng = np.random.default_rng(13)
    n = rng.integers(1, 3000, 500)
    target = 0.02
    x = (
        rng.binomial(n, rng.uniform(0.005, 0.06, 500))
        if measure == "proportion"
        else rng.poisson(n * target * 2)
    )
    result = funnel(range(500), x, n, measure=measure, target=target, direction="lower")
    tails = binomial_tails(x, n, target) if measure == "proportion" else poisson_tails(x, n * target)
    upper, lower = tails
    expected = np.full(500, "none", dtype=object)
    expected[lower < 0.025], expected[lower < 0.001] = "better_95", "better_998"
    expected[upper < 0.025], expected[upper < 0.001] = "worse_95", "worse_998"
    assert list(result.signal) == list(expected)
    assert np.allclose(result.p_worse, upper) and np.allclose(result.p_better, lower)
    beyond = (result.rate > result.limit95_high) | (result.rate < result.limit95_low)
    assert np.array_equal(beyond, result.signal != "none")  # drawn limits and signals agree
