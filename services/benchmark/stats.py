"""Pure statistics layer for benchmarking (numpy / scipy only; no database).

Used by the SQL-fed benchmark services and by the analyst CLI (`qcp stats`). The implementation
lives in stats_intervals (intervals), stats_exact (exact binomial / Poisson tails and limits),
stats_signals (what a funnel decides: signals, p- and q-values, φ, τ²),
stats_funnel (funnel plots), stats_dispersion (over-dispersion), stats_fdr (q-values), stats_decile
(the worst-decile rule), stats_rank (percentiles), stats_standardise (expected counts by peer profile),
stats_defaults (platform defaults) and stats_cusum (early warning over quarters: CUSUM, EWMA, run
lengths; docs/methods.md §11); methods, conventions and references are in docs/methods.md.
"""

from services.benchmark.stats_decile import DEFAULT_DECILE_MIN_EVENTS, worst_decile_mask
from services.benchmark.stats_defaults import (
    DEFAULT_FLAG_RULE,
    DEFAULT_LIMITS,
    DEFAULT_MIN_DENOMINATOR,
    DEFAULT_MIN_DENOMINATOR_BY_UNIT,
    DEFAULT_OVERDISPERSION,
    default_min_denominator,
)
from services.benchmark.stats_dispersion import WINSORISE_BY, overdispersion_detected
from services.benchmark.stats_fdr import FDR_Q95, FDR_Q998, benjamini_hochberg
from services.benchmark.stats_funnel import (
    MEASURES,
    SIGNALS,
    UNIT_COLUMNS,
    Z_TOLERANCE,
    FunnelResult,
    control_limits,
    funnel,
    pooled_target,
)
from services.benchmark.stats_intervals import (
    BYARS_MIN_COUNT,
    Z95,
    Z998,
    ChangeResult,
    Direction,
    byars_interval,
    count_interval,
    mean_interval,
    newcombe_difference,
    poisson_exact_interval,
    rate_interval,
    rate_ratio_interval,
    ratio_interval,
    wilson_interval,
    year_over_year,
)
from services.benchmark.stats_rank import PERCENTILES, percentile_rank, rate_percentiles
from services.benchmark.stats_standardise import baseline_rates, expected_counts

__all__ = [
    "BYARS_MIN_COUNT",
    "DEFAULT_DECILE_MIN_EVENTS",
    "DEFAULT_FLAG_RULE",
    "DEFAULT_LIMITS",
    "DEFAULT_MIN_DENOMINATOR",
    "DEFAULT_MIN_DENOMINATOR_BY_UNIT",
    "DEFAULT_OVERDISPERSION",
    "FDR_Q95",
    "FDR_Q998",
    "MEASURES",
    "PERCENTILES",
    "SIGNALS",
    "UNIT_COLUMNS",
    "WINSORISE_BY",
    "Z95",
    "Z998",
    "Z_TOLERANCE",
    "ChangeResult",
    "Direction",
    "FunnelResult",
    "baseline_rates",
    "benjamini_hochberg",
    "byars_interval",
    "control_limits",
    "count_interval",
    "default_min_denominator",
    "expected_counts",
    "funnel",
    "mean_interval",
    "newcombe_difference",
    "overdispersion_detected",
    "percentile_rank",
    "poisson_exact_interval",
    "pooled_target",
    "rate_interval",
    "rate_percentiles",
    "rate_ratio_interval",
    "ratio_interval",
    "wilson_interval",
    "worst_decile_mask",
    "year_over_year",
]
