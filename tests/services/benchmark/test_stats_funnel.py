"""Funnel plots checked against PHEindicatormethods reference data and FunnelPlotR's formulas.

- [PHE-OUT] ukhsa-collaboration/PHEindicatormethods tests/testthat/testdata_funnel_prop_outputs.csv:
  expected phe_funnels() limits in percent (2s = 95%, 3s = 99.8%) at given populations, clipped to
  [0, 100], baseline 80.642448 (the pooled rate of the input file).
- [PHE-IN] same repo, tests/testthat/testdata_funnel_prop_inputs.csv: expected
  phe_funnel_significance() per area (a subset of the rows, copied verbatim).
- [FPR] nhs-r-community/FunnelPlotR R/od_adjustment.R (transformed_zscore, winsorisation, phi_func,
  tau_func) and R/calculate_limits.R (PR limits). No published φ/τ² for proportions was found, so
  they are checked against the straightforward re-implementation `_reference_dispersion` below.
"""

import math

import numpy as np
import pytest

from services.benchmark.stats import Z95, Z998, funnel, pooled_target

PHE_BASELINE = 0.80642448  # [PHE-OUT] Baseline column / 100

# population, lower95, upper95, lower998, upper998 (percent) — rows of [PHE-OUT]
PHE_LIMITS = [
    (1, 3.204264, 100, 0, 100),
    (3, 35.933491, 100, 10.150815, 100),
    (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497),
    (102, 72.974925, 88.309971, 68.553233, 92.731663),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]

# area, numerator, denominator, phe_funnel_significance — rows of [PHE-IN]
PHE_SIGNIFICANCE = [
    ("New Forest PCT", 35078.4880000, 41980, "High (0.001)"),
    ("Norwich PCT", 24803.6256000, 31824, "Low (0.001)"),
    ("South Gloucestershire PCT", 50050.7443000, 61921, "Not significant"),
    ("Central Derby PCT", 24648.7596000, 30521, "Not significant"),
    ("North East Lincolnshire PCT", 31759.3850000, 39350, "Not significant"),
    ("West Norfolk PCT", 26789.2380000, 33012, "High (0.025)"),
    ("North Tees PCT", 36850.0492000, 45449, "High (0.025)"),
    ("Mid-Hampshire PCT", 34502.0685000, 42485, "High (0.025)"),
    ("Sheffield West PCT", 23910.2469000, 29457, "High (0.025)"),
    ("North Devon PCT", 30277.5312000, 37828, "Low (0.025)"),
    ("Exeter PCT", 24866.9160000, 30929, "Not significant"),
    ("East Devon PCT", 21139.2936000, 25992, "High (0.025)"),
    ("Mid Devon PCT", 20759.6500000, 25750, "Not significant"),
    ("Heywood and Middleton PCT", 14493.3552000, 17964, "Not significant"),
    ("Rowley Regis and Tipton PCT", 13240.9172000, 16477, "Not significant"),
    ("Bradford City PCT", 18365.4621000, 29277, "Low (0.001)"),
    ("Mansfield District PCT", 18986.0000000, 22000, "High (0.001)"),
    ("South Tyneside PCT", 29709.0543000, 36583, "High (0.025)"),
    ("North Norfolk PCT", 18504.9982000, 22739, "High (0.025)"),
    ("Uttlesford PCT", 15524.9934000, 19257, "Not significant"),
    ("Hertsmere PCT", 18550.7595000, 22905, "Not significant"),
    ("Royston, Buntingford and Bishop's Stortford PCT", 16924.1296000, 20776, "High (0.025)"),
    ("South East Hertfordshire PCT", 38045.3716000, 46958, "High (0.025)"),
    ("Easington PCT", 18746.7077000, 23233, "Not significant"),
    ("Hartlepool PCT", 17321.4088000, 21587, "Not significant"),
    ("Fareham and Gosport PCT", 37945.3125000, 46875, "Not significant"),
    ("Witham, Braintree and Halstead Care Trust", 28537.4507000, 35201, "High (0.025)"),
    ("Harlow PCT", 15808.1975000, 20597, "Low (0.001)"),
    ("Poole PCT", 35176.5102000, 39734, "High (0.001)"),
]
PHE_TO_SIGNAL_HIGHER_IS_BETTER = {
    "High (0.001)": "better_998",
    "High (0.025)": "better_95",
    "Not significant": "none",
    "Low (0.025)": "worse_95",
    "Low (0.001)": "worse_998",
}


def test_limits_match_phe_funnels_reference_including_clipping():
    pops = [row[0] for row in PHE_LIMITS]
    result = funnel([str(p) for p in pops], [0] * len(pops), pops, target=PHE_BASELINE, limits="normal")
    for i, (_, low95, high95, low998, high998) in enumerate(PHE_LIMITS):
        got = [result.limit95_low[i], result.limit95_high[i], result.limit998_low[i], result.limit998_high[i]]
        assert got == pytest.approx([low95 / 100, high95 / 100, low998 / 100, high998 / 100], abs=2e-8)


def test_signals_match_phe_funnel_significance():
    units, x, n, expected = zip(*PHE_SIGNIFICANCE, strict=True)
    result = funnel(units, x, n, target=PHE_BASELINE, direction="higher", limits="normal")
    assert list(result.signal) == [PHE_TO_SIGNAL_HIGHER_IS_BETTER[s] for s in expected]


def test_direction_lower_swaps_worse_and_better():
    units, x, n, expected = zip(*PHE_SIGNIFICANCE, strict=True)
    higher = funnel(units, x, n, target=PHE_BASELINE, direction="higher", limits="normal")
    lower = funnel(units, x, n, target=PHE_BASELINE, direction="lower", limits="normal")
    swap = {
        "worse_998": "better_998",
        "worse_95": "better_95",
        "none": "none",
        "better_95": "worse_95",
        "better_998": "worse_998",
    }
    assert list(lower.signal) == [swap[s] for s in higher.signal]
    assert "worse_998" in set(lower.signal) and "better_998" in set(lower.signal)


def test_default_target_is_pooled_over_units_with_cases():
    result = funnel(["a", "b", "c"], [3, 0, 7], [10, 0, 40], limits="normal")
    assert result.target == pytest.approx(10 / 50)
    assert pooled_target([3, 0, 7], [10, 0, 40]) == pytest.approx(0.2)


def test_z_score_is_normal_approximation_around_target():
    result = funnel(["a"], [30], [100], target=0.2, limits="normal")
    assert result.z[0] == pytest.approx((0.3 - 0.2) / math.sqrt(0.2 * 0.8 / 100))


@pytest.mark.parametrize("which", ["limit95_high", "limit95_low", "limit998_high", "limit998_low"])
def test_unit_exactly_on_a_limit_is_not_outside_it(which):
    n = np.array([37.0, 250.0, 1009.0])
    limits = getattr(funnel(["a", "b", "c"], [0, 0, 0], n, target=0.3, limits="normal"), which)
    on_limit = funnel(["a", "b", "c"], limits * n, n, target=0.3, limits="normal")
    just_beyond = funnel(
        ["a", "b", "c"],
        limits * n * (1 + 1e-6 if "high" in which else 1 - 1e-6),
        n,
        target=0.3,
        limits="normal",
    )
    inner = "none" if "95" in which else ("better_95" if "high" in which else "worse_95")
    assert list(on_limit.signal) == [inner] * 3
    assert inner not in set(just_beyond.signal)


def test_zero_numerators_and_numerator_equal_denominator():
    result = funnel(["zero", "all", "mid"], [0, 50, 400], [50, 50, 1000], target=0.4, limits="normal")
    assert result.rate[0] == 0.0 and result.ci95_low[0] == 0.0
    assert result.rate[1] == 1.0 and result.ci95_high[1] == 1.0
    assert list(result.signal[:2]) == ["worse_998", "better_998"]


def test_denominator_zero_is_insufficient_and_never_a_rate_of_zero():
    result = funnel(["none", "one"], [0, 1], [0, 1], target=0.5, min_denominator=1, limits="normal")
    assert np.isnan(result.rate[0]) and np.isnan(result.z[0]) and np.isnan(result.limit95_low[0])
    assert result.signal[0] == "insufficient"
    assert result.signal[1] == "none"  # n = 1 is eligible when min_denominator is 1
    assert result.limit95_low[1] == 0.0 and result.limit95_high[1] == 1.0  # clipped


def test_small_denominators_are_shown_but_not_flagged():
    result = funnel(["tiny", "big"], [0, 10], [3, 1000], target=0.5, min_denominator=10, limits="normal")
    assert list(result.signal) == ["insufficient", "worse_998"]
    assert result.rate[0] == 0.0 and not np.isnan(result.limit95_low[0])


def _type7_quantile(values, p):
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    lo = math.floor(h)
    return ordered[lo] + (h - lo) * (ordered[min(lo + 1, len(ordered) - 1)] - ordered[lo])


def _reference_dispersion(x, n):
    """Plain re-implementation of FunnelPlotR PR φ and τ² ([FPR]), loop by loop."""
    target = math.asin(math.sqrt(sum(x) / sum(n)))
    z = [(math.asin(math.sqrt(xi / ni)) - target) * 2 * math.sqrt(ni) for xi, ni in zip(x, n, strict=True)]
    lz, uz = _type7_quantile(z, 0.1), _type7_quantile(z, 0.9)
    phi = sum(min(max(v, lz), uz) ** 2 for v in z) / len(z)
    w = [4 * ni for ni in n]  # 1 / s², s = 1 / (2√n)
    k = len(z)
    tau2 = (
        0.0 if k * phi < k - 1 else max(0.0, (k * phi - (k - 1)) / (sum(w) - sum(v * v for v in w) / sum(w)))
    )
    return target, phi, tau2


def test_overdispersion_phi_and_tau2_follow_funnelplotr_on_phe_data():
    units, x, n, _ = zip(*PHE_SIGNIFICANCE, strict=True)
    target_t, phi, tau2 = _reference_dispersion(x, n)
    result = funnel(units, x, n, overdispersion=True, limits="normal")
    assert result.phi == pytest.approx(phi, rel=1e-10)
    assert result.tau2 == pytest.approx(tau2, rel=1e-10)
    assert phi > 2 and result.overdispersion  # these PCTs are heavily over-dispersed
    half = Z998 * np.sqrt(1 / (4 * np.asarray(n)) + tau2)
    assert result.limit998_high == pytest.approx(np.sin(target_t + half) ** 2, rel=1e-12)
    assert result.limit998_low == pytest.approx(np.sin(target_t - half) ** 2, rel=1e-12)
    z = (np.arcsin(np.sqrt(np.asarray(x) / np.asarray(n))) - target_t) / np.sqrt(
        1 / (4 * np.asarray(n)) + tau2
    )
    assert result.z == pytest.approx(z, rel=1e-10)


def test_overdispersion_widens_limits_and_removes_most_flags():
    units, x, n, _ = zip(*PHE_SIGNIFICANCE, strict=True)
    plain = funnel(units, x, n, limits="normal")
    adjusted = funnel(units, x, n, overdispersion=True, limits="normal")
    assert np.all(adjusted.limit95_high > plain.limit95_high)
    assert sum(s != "none" for s in adjusted.signal) < sum(s != "none" for s in plain.signal)
    assert plain.phi == adjusted.phi and plain.tau2 == adjusted.tau2  # always reported
    assert not plain.overdispersion


def test_overdispersion_falls_back_to_plain_limits_when_tau2_is_zero():
    x, n = [20, 21, 19, 20, 22, 18], [100, 100, 100, 100, 100, 100]  # under-dispersed: φ < (k−1)/k
    _, phi, tau2 = _reference_dispersion(x, n)
    result = funnel(list("abcdef"), x, n, overdispersion=True, limits="normal")
    plain = funnel(list("abcdef"), x, n, limits="normal")
    assert tau2 == 0.0 and result.tau2 == 0.0 and result.phi == pytest.approx(phi)
    assert not result.overdispersion
    assert list(result.limit95_low) == list(plain.limit95_low)


def test_winsorisation_clamps_extreme_z_scores():
    x = [1, 10, 11, 12, 10, 11, 9, 10, 12, 90]
    n = [100] * 10
    _, phi, _ = _reference_dispersion(x, n)
    result = funnel([str(i) for i in range(10)], x, n, limits="normal")
    assert result.phi == pytest.approx(phi, rel=1e-12)
    raw_phi = float(
        np.mean(((np.arcsin(np.sqrt(np.array(x) / 100)) - math.asin(math.sqrt(sum(x) / 1000))) * 20) ** 2)
    )
    assert result.phi < raw_phi


def test_thresholds_are_the_two_sided_normal_quantiles():
    assert Z95 == pytest.approx(1.959964, abs=1e-6)  # constant used in [FPR]
    assert Z998 == pytest.approx(3.090232, abs=1e-6)  # constant used in [FPR]
