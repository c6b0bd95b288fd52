"""Plausibility warnings: accepted values that deserve a second look. Pure; never blocks.

* ``denominator_jump``: the denominator is ≥ 10× or ≤ 1/10 of the hospital's previous reported quarter.
* ``rate_outlier``: with at least three earlier quarters, the rate lies more than three standard
  deviations from the hospital's own mean (the deviation floored at 10 % of the mean, so a flat
  history does not flag every small change).
Quarters with no cases (denominator 0) are left out of both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from services.submission.schemas import PlausibilityWarning
from services.submission.validation import Counts

JUMP_FACTOR = 10
MIN_HISTORY = 3
Z_LIMIT = 3.0
SD_FLOOR = 0.10


def denominator_jump(code: str, new: Counts, previous: Counts | None) -> list[PlausibilityWarning]:
    if previous is None or previous.denominator == 0 or new.denominator == 0:
        return []
    before, now = previous.denominator, new.denominator
    if now >= before * JUMP_FACTOR or now * JUMP_FACTOR <= before:
        return [
            PlausibilityWarning(
                indicator=code,
                code="denominator_jump",
                message=f"分母由上季度的 {before} 变为 {now}（相差一个数量级以上），请核对 / "
                f"denominator went from {before} last quarter to {now} (an order of magnitude): please check",
            )
        ]
    return []


def rate_outlier(code: str, new: Counts, history: Sequence[Counts]) -> list[PlausibilityWarning]:
    rates = [h.numerator / h.denominator for h in history if h.denominator > 0]
    if new.denominator == 0 or len(rates) < MIN_HISTORY:
        return []
    mean = math.fsum(rates) / len(rates)
    sd = math.sqrt(
        math.fsum((r - mean) ** 2 for r in rates) / len(rates)
    )  # population SD (statistics.pstdev)
    spread = max(sd, SD_FLOOR * abs(mean), 1e-9)
    rate = new.numerator / new.denominator
    if abs(rate - mean) <= Z_LIMIT * spread:
        return []
    return [
        PlausibilityWarning(
            indicator=code,
            code="rate_outlier",
            message=f"本季度率 {rate:.4g} 远离本院既往均值 {mean:.4g}（{len(rates)} 个季度），请核对 / "
            f"rate {rate:.4g} is far from this hospital's own mean {mean:.4g} over {len(rates)} quarters",
        )
    ]


def warnings_for(code: str, new: Counts, history: Sequence[Counts]) -> list[PlausibilityWarning]:
    """``history``: the hospital's earlier quarters for this indicator, oldest first."""
    previous = next((h for h in reversed(history) if h.denominator > 0), None)
    return denominator_jump(code, new, previous) + rate_outlier(code, new, history)
