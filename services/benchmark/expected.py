"""Observed / expected by peer profile (indirect standardisation, as NHSN's SIR and the UK's SHMI).

For a hospital this quarter: E = the baseline rate of its profile × its denominator
(``stats.expected_counts``; a hospital whose profile has no baseline data gets no E and its O/E is
not assessed, ``oe_own_profile`` false); O = its numerator; O/E with
its interval and a funnel around 1 from ``stats.funnel(measure="ratio")`` (over-dispersion as the
QC center's setting says). The baselines themselves: ``baselines.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.benchmark import stats
from services.benchmark.baselines import Baseline, profile_key
from services.benchmark.queries import IndicatorInfo, ValueArrays


@dataclass
class ObservedExpected:
    """Per-unit arrays aligned with the benchmark's hospitals (NaN where not assessed)."""

    baseline: Baseline
    expected: np.ndarray
    own_profile: np.ndarray  # bool: the hospital's profile has a baseline rate (else no E)
    units: dict[str, np.ndarray]  # rate (= O/E), ci95/998, limit95/998 around 1, z
    signal: np.ndarray
    phi: float | None
    tau2: float | None
    overdispersion_applied: bool
    limits_method: str


OE_FIELDS = (
    "rate",
    "ci95_low",
    "ci95_high",
    "ci998_low",
    "ci998_high",
    "limit95_low",
    "limit95_high",
    "limit998_low",
    "limit998_high",
    "z",
)


_PROFILES = "SELECT id, level, type, beds FROM hospitals WHERE id = ANY(:ids)"


def hospital_profiles(session: Session, ids: list[int], profile: str) -> dict[int, str]:
    """Profile key of each hospital (call inside ``distribution_view`` for hospital callers)."""
    if not ids:
        return {}
    rows = session.execute(text(_PROFILES), {"ids": ids})
    return {i: profile_key(profile, level, kind, beds or 0) for i, level, kind, beds in rows}


def observed_expected(
    info: IndicatorInfo,
    values: ValueArrays,
    baseline: Baseline,
    profiles: dict[int, str],
    *,
    min_denominator: int,
    overdispersion: str,
) -> ObservedExpected:
    """Pure: E, O/E and its funnel for one indicator's values."""
    size = values.hospital_id.size
    keys = [profiles.get(int(h)) for h in values.hospital_id.tolist()]
    expected = stats.expected_counts(values.denominator, keys, baseline.rate_by_profile)
    own = np.isfinite(expected)
    with np.errstate(invalid="ignore"):
        ok = own & (values.denominator > 0) & (values.denominator >= min_denominator) & (expected > 0)
    units = {name: np.full(size, np.nan) for name in OE_FIELDS}
    signal = np.full(size, "insufficient", dtype=object)
    phi = tau2 = None
    applied, method = False, ""
    if ok.any():
        modes: dict[str, bool | str] = {"auto": "auto", "on": True}
        mode = modes.get(overdispersion, False)
        result = stats.funnel(
            values.hospital_id[ok],
            values.numerator[ok],
            expected[ok],
            measure="ratio",
            direction=cast(stats.Direction, info.direction),  # the catalog allows only higher | lower
            min_denominator=0,
            overdispersion=mode,
        )
        for name in OE_FIELDS:
            units[name][ok] = getattr(result, name)
        signal[ok] = result.signal
        phi, tau2, applied = result.phi, result.tau2, result.overdispersion
        method = result.limits_method
    return ObservedExpected(baseline, expected, own, units, signal, phi, tau2, applied, method)
