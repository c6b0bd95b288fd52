"""Platform defaults of the statistics layer, each chosen and justified in docs/methods.md §8–9.

The numbers behind DEFAULT_FLAG_RULE, DEFAULT_LIMITS and DEFAULT_DECILE_MIN_EVENTS come from
bench/false_alarms.py (the table in docs/methods.md).
"""

from __future__ import annotations

# Fallback minimum denominator for a unit not listed below (the platform default before issue 13).
DEFAULT_MIN_DENOMINATOR = 10

# Minimum denominator per indicator unit (as spelled in the catalog). Proportions: 10 patients or
# cases (exact limits keep false alarms at the nominal level at any n; below 10 a rate moves in
# steps of ≥ 10 points). Rates: at least one "per" base of exposure, so that at a typical rate of
# about 1 per base the expected count is about 1 — NHSN does not compute an SIR when fewer than 1
# event is predicted; 1 infection in 10 catheter-days (100‰) is therefore not assessed. Bed-day
# based counts (infusions, drug varieties, mL per bed-day) need 100 bed-days (about one bed for a
# quarter). Mean-type indicators (hours, days) count patients: 10.
DEFAULT_MIN_DENOMINATOR_BY_UNIT: dict[str, int] = {
    "%": 10,
    "‰": 10,
    "每百出院人次": 100,
    "每千出院人次": 1000,
    "每千导管日": 1000,
    "每千住院日": 1000,
    "每千床日": 1000,
    "次/床日": 100,
    "种/床日": 100,
    "毫升/床日": 100,
    "小时": 10,
    "天": 10,
}


def default_min_denominator(unit: str | None) -> int:
    """The platform default for an indicator's unit; DEFAULT_MIN_DENOMINATOR when the unit is unknown."""
    return DEFAULT_MIN_DENOMINATOR_BY_UNIT.get((unit or "").strip(), DEFAULT_MIN_DENOMINATOR)


# Which limits flags use and which rule raises them (bench/false_alarms.py, docs/methods.md §9).
DEFAULT_LIMITS = "exact"
DEFAULT_FLAG_RULE = "fdr"
# Over-dispersion: "auto" = applied when k·φ > χ²₀.₉₅(k − 1) (and τ² > 0), switchable off.
DEFAULT_OVERDISPERSION = "auto"
