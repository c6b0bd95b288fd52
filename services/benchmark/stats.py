"""Pure statistics layer for benchmarking (numpy / scipy only; no database).

Used by the SQL-fed benchmark services and by the analyst CLI (`qcp stats`). The implementation
lives in stats_intervals (intervals), stats_funnel (funnel plots) and stats_rank (percentiles);
methods, conventions and references are in docs/methods.md.
"""

from services.benchmark.stats_funnel import (
    SIGNALS,
    UNIT_COLUMNS,
    WINSORISE_BY,
    Z_TOLERANCE,
    FunnelResult,
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
    ratio_interval,
    wilson_interval,
    year_over_year,
)
from services.benchmark.stats_rank import PERCENTILES, percentile_rank, rate_percentiles

# Platform default for the minimum denominator below which a unit is shown but not flagged;
# each QC center may configure its own value (docs/methods.md).
DEFAULT_MIN_DENOMINATOR = 10

__all__ = [
    "BYARS_MIN_COUNT",
    "DEFAULT_MIN_DENOMINATOR",
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
    "byars_interval",
    "count_interval",
    "funnel",
    "mean_interval",
    "newcombe_difference",
    "percentile_rank",
    "poisson_exact_interval",
    "pooled_target",
    "rate_interval",
    "rate_percentiles",
    "ratio_interval",
    "wilson_interval",
    "year_over_year",
]
