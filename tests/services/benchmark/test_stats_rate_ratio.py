"""Funnels for rates per exposure and O/E ratios: PHE's significance, FunnelPlotR's limits and SR
over-dispersion, input checks and the platform's minimum exposures.

- [PHE-RATIO-IN] ukhsa-collaboration/PHEindicatormethods (commit 093fd28)
  tests/testthat/testdata_funnel_ratio_inputs.csv: obs, expected, assign_funnel_significance(...,
  statistic = "ratio"); 30 of the 300 rows, all those below 10 events and those nearest a limit.
- [PHE-RATE-IN] same repo, tests/testthat/testdata_funnel_rate_dsr_inputs.csv: count, pop and the
  significance of the crude rate per 100,000 ("crude_per_100000_with_0"); all 40 rows (the target is
  their pooled rate).
- [FPR-T] nhs-r-community/FunnelPlotR tests/testthat/test-poisson_limits.R: unadjusted SR limits at
  E = 15, 20, 30 (95%: 0.5596924, 0.6108260, 0.6746958 / 1.649348, 1.544419, 1.427562; 99.8%:
  0.3862650, 0.4479107, 0.5289724 / 2.082907, 1.902094, 1.702771). Also in /work/shared/NOTES.md.
- [FPR] FunnelPlotR R/od_adjustment.R (transformed_zscore for sr_method = "CQC", winsorisation,
  phi_func, tau_func): no published φ/τ² for SRs was found, so they are checked against the plain
  re-implementation `_reference_sr_dispersion` below.
- [NHSN] CDC NHSN, The NHSN Standardized Infection Ratio (SIR) guide: an SIR is not calculated when the
  number of predicted infections is below 1.0 — the basis of the per-unit minimum exposures.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from services.benchmark.stats import (
    DEFAULT_MIN_DENOMINATOR_BY_UNIT,
    Z95,
    Z998,
    control_limits,
    default_min_denominator,
    funnel,
)

PHE_HIGHER_IS_WORSE = {  # direction "lower" (lower is better): PHE "High" is worse
    "High (0.001)": "worse_998",
    "High (0.025)": "worse_95",
    "Not significant": "none",
    "Low (0.025)": "better_95",
    "Low (0.001)": "better_998",
}

# obs, expected, significance — [PHE-RATIO-IN]
PHE_RATIO = [
    (8, 6.239860227, "Not significant"),
    (220, 249.8012944, "Not significant"),
    (0, 240.6273499, "Low (0.001)"),
    (141, 106.7211626, "High (0.001)"),
    (182, 143.6804295, "High (0.025)"),
    (119, 140.9618574, "Not significant"),
    (275, 226.4679239, "High (0.001)"),
    (261, 230.9734513, "Not significant"),
    (355, 318.5570711, "High (0.025)"),
    (154, 194.8380567, "Low (0.025)"),
    (117, 140.709561, "Low (0.025)"),
    (164, 138.9830508, "High (0.025)"),
    (102, 124.7553816, "Low (0.025)"),
    (6, 4.293052052, "Not significant"),
    (118, 98.01478528, "Not significant"),
    (85, 67.9184978, "Not significant"),
    (40, 55.14959327, "Low (0.025)"),
    (72, 90.53187476, "Not significant"),
    (46, 71.75167681, "Low (0.001)"),
    (48, 64, "Low (0.025)"),
    (84, 117.4004193, "Low (0.001)"),
    (41, 64.5059786, "Low (0.025)"),
    (46, 61.18648577, "Not significant"),
    (77, 107.8582435, "Low (0.025)"),
    (83, 103.0799801, "Low (0.025)"),
    (94, 67.43668843, "High (0.025)"),
    (57, 72.87138839, "Not significant"),
    (125, 105.2542944, "Not significant"),
    (85, 105.5376211, "Low (0.025)"),
    (66, 95.61060409, "Low (0.001)"),
]

# count, pop, significance of the crude rate per 100,000 — [PHE-RATE-IN], all rows
PHE_RATE = [
    (2419, 264102, "High (0.001)"),
    (2337, 259711, "High (0.001)"),
    (2291, 289247, "High (0.001)"),
    (2242, 265029, "High (0.001)"),
    (2218, 284649, "High (0.001)"),
    (2159, 293578, "High (0.001)"),
    (2130, 286718, "High (0.001)"),
    (2111, 307381, "Not significant"),
    (2105, 274145, "High (0.001)"),
    (2083, 297424, "High (0.025)"),
    (2078, 272628, "High (0.001)"),
    (2062, 269656, "High (0.001)"),
    (2061, 294692, "High (0.025)"),
    (2033, 277710, "High (0.001)"),
    (2033, 259213, "High (0.001)"),
    (2010, 285516, "High (0.025)"),
    (2004, 269449, "High (0.001)"),
    (2002, 290888, "Not significant"),
    (1977, 287112, "Not significant"),
    (1944, 286492, "Not significant"),
    (1932, 287012, "Not significant"),
    (1922, 291277, "Not significant"),
    (1912, 289859, "Not significant"),
    (1881, 289653, "Not significant"),
    (1844, 282519, "Not significant"),
    (1835, 274220, "Not significant"),
    (1833, 280271, "Not significant"),
    (1825, 284206, "Not significant"),
    (1816, 274508, "Not significant"),
    (1809, 288384, "Low (0.025)"),
    (1798, 287072, "Low (0.025)"),
    (1754, 282744, "Low (0.001)"),
    (1746, 289208, "Low (0.001)"),
    (1709, 287736, "Low (0.001)"),
    (1694, 296175, "Low (0.001)"),
    (1688, 303255, "Low (0.001)"),
    (1649, 285959, "Low (0.001)"),
    (1553, 274661, "Low (0.001)"),
    (1332, 281425, "Low (0.001)"),
    (0, 297820, "Low (0.001)"),
]


@pytest.mark.parametrize("limits", ["normal", "exact"])
def test_ratio_signals_match_phe_assign_funnel_significance(limits):
    """limits="normal" is PHE's own-interval rule (exact below 10 events, Byar from 10); the exact tail
    test agrees on every published row (they can differ only near a limit at ≥ 10 events)."""
    o, e, expected = zip(*PHE_RATIO, strict=True)
    result = funnel(range(len(o)), o, e, measure="ratio", direction="lower", limits=limits)
    assert list(result.signal) == [PHE_HIGHER_IS_WORSE[s] for s in expected]
    assert (
        result.target == 1.0
        and result.limits_method == {"normal": "poisson_exact_byar", "exact": "poisson_exact"}[limits]
    )


@pytest.mark.parametrize("limits", ["normal", "exact"])
def test_crude_rate_signals_match_phe_around_the_pooled_rate(limits):
    x, n, expected = zip(*PHE_RATE, strict=True)
    result = funnel(range(len(x)), x, n, measure="rate", direction="lower", limits=limits)
    assert result.target == pytest.approx(sum(x) / sum(n))
    assert list(result.signal) == [PHE_HIGHER_IS_WORSE[s] for s in expected]


def test_normal_ratio_limits_are_funnelplotr_poisson_limits():
    e = np.array([15.0, 20.0, 30.0])
    lims = control_limits(e, target=1.0, measure="ratio", limits="normal")
    assert np.round(lims["limit95_low"], 7) == pytest.approx([0.5596924, 0.6108260, 0.6746958], abs=1e-12)
    assert np.round(lims["limit95_high"], 6) == pytest.approx([1.649348, 1.544419, 1.427562], abs=1e-12)
    assert np.round(lims["limit998_low"], 7) == pytest.approx([0.3862650, 0.4479107, 0.5289724], abs=1e-12)
    assert np.round(lims["limit998_high"], 6) == pytest.approx([2.082907, 1.902094, 1.702771], abs=1e-12)


def test_rate_limits_scale_the_ratio_limits_by_the_target():
    exposure = np.array([2000.0, 5000.0, 20000.0])
    target = 0.0015  # 1.5 per 1,000 catheter-days
    rate = control_limits(exposure, target=target, measure="rate")
    ratio = control_limits(exposure * target, target=1.0, measure="ratio")
    for key in rate:
        assert rate[key] == pytest.approx(ratio[key] * target, rel=1e-12)


def _type7(values, p):
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    lo = math.floor(h)
    return ordered[lo] + (h - lo) * (ordered[min(lo + 1, len(ordered) - 1)] - ordered[lo])


def _reference_sr_dispersion(o, e):
    """[FPR] CQC: Y = √(O/E), target 1, s = 1/(2√E), z = (Y − 1)/s; winsorised 10%; φ; DL τ²."""
    z = [(math.sqrt(oi / ei) - 1) * 2 * math.sqrt(ei) for oi, ei in zip(o, e, strict=True)]
    lz, uz = _type7(z, 0.1), _type7(z, 0.9)
    k = len(z)
    phi = sum(min(max(v, lz), uz) ** 2 for v in z) / k
    w = [4 * ei for ei in e]
    tau2 = (
        0.0 if k * phi < k - 1 else max(0.0, (k * phi - (k - 1)) / (sum(w) - sum(v * v for v in w) / sum(w)))
    )
    return phi, tau2


def test_sr_overdispersion_follows_funnelplotr_cqc_on_phe_ratio_data():
    o, e, _ = zip(*PHE_RATIO, strict=True)
    phi, tau2 = _reference_sr_dispersion(o, e)
    result = funnel(range(len(o)), o, e, measure="ratio", overdispersion=True)
    assert result.phi == pytest.approx(phi, rel=1e-10) and result.tau2 == pytest.approx(tau2, rel=1e-10)
    assert (
        result.overdispersion
        and result.dispersion_beyond_chance
        and result.limits_method == "sqrt_overdispersed"
    )
    e = np.asarray(e)
    half = Z998 * np.sqrt(1 / (4 * e) + tau2)
    assert result.limit998_high == pytest.approx((1 + half) ** 2, rel=1e-12)  # squared back (Spiegelhalter)
    assert result.limit998_low == pytest.approx(np.clip(1 - half, 0, None) ** 2, rel=1e-12)
    z = (np.sqrt(np.asarray(o) / e) - 1) / np.sqrt(1 / (4 * e) + tau2)
    assert result.z == pytest.approx(z, rel=1e-10)
    plain = funnel(range(len(o)), o, e, measure="ratio")
    assert sum(s != "none" for s in result.signal) < sum(s != "none" for s in plain.signal)


def test_overdispersion_auto_applies_only_beyond_chance():
    o, e, _ = zip(*PHE_RATIO, strict=True)
    auto = funnel(range(len(o)), o, e, measure="ratio", overdispersion="auto")
    assert auto.overdispersion and auto.dispersion_beyond_chance
    quiet_o = [10, 11, 9, 10, 12, 8, 10, 11, 9, 10]  # under-dispersed around E = 10
    quiet = funnel(range(10), quiet_o, [10.0] * 10, measure="ratio", overdispersion="auto")
    assert (
        not quiet.dispersion_beyond_chance
        and not quiet.overdispersion
        and quiet.limits_method == "poisson_exact"
    )


def test_rate_intervals_are_exact_below_ten_events_and_byar_from_ten():
    result = funnel(["a", "b"], [0, 10], [1000, 1000], measure="rate", target=0.005)
    assert result.ci95_low[0] == 0.0 and result.ci95_high[0] == pytest.approx(3.688879 / 1000, rel=1e-6)
    byar_low = 10 * (1 - 1 / 90 - Z95 / (3 * math.sqrt(10))) ** 3  # Breslow & Day (Byar), PHE byars_lower
    assert result.ci95_low[1] == pytest.approx(byar_low / 1000, rel=1e-12)


def test_one_infection_in_ten_catheter_days_is_not_flagged_at_the_platform_minimum():
    minimum = default_min_denominator("每千导管日")
    result = funnel(
        ["tiny", "big"],
        [1, 2],
        [10, 2000],
        measure="rate",
        target=0.001,
        direction="lower",
        min_denominator=minimum,
    )
    assert minimum == 1000 and list(result.signal) == ["insufficient", "none"]
    assert result.rate[0] == pytest.approx(0.1)  # 100‰ is still shown


def test_every_catalog_unit_has_a_default_minimum_denominator():
    data = Path(__file__).resolve().parents[3] / "services" / "catalog" / "data"
    units = set()
    for path in data.glob("catalog-*.yaml"):
        text = path.read_text(encoding="utf-8")
        units |= {
            line.split(":", 1)[1].strip().strip("'\"")
            for line in text.splitlines()
            if line.strip().startswith("unit:")
        }
    assert units and units <= set(DEFAULT_MIN_DENOMINATOR_BY_UNIT)
    assert default_min_denominator("每百出院人次") == 100 and default_min_denominator("unknown") == 10


@pytest.mark.parametrize(
    ("measure", "x", "n", "message"),
    [
        ("rate", [1.5], [10], "whole number"),
        ("ratio", [2.2], [3.0], "whole number"),
        ("rate", [-1], [10], "non-negative"),
        ("proportion", [5], [3], "must not exceed"),
    ],
)
def test_rejects_bad_counts_naming_the_item(measure, x, n, message):
    with pytest.raises(ValueError, match=message) as info:
        funnel(["u"], x, n, measure=measure)
    assert "item 1" in str(info.value)


def test_rates_may_exceed_one_event_per_unit_of_exposure():
    result = funnel(["a", "b"], [30, 5], [10, 10], measure="rate")
    assert result.rate[0] == 3.0 and result.target == pytest.approx(35 / 20)
