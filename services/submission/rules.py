"""Cross-indicator consistency rules, as data keyed by indicator codes.

An :class:`OrderedRule` lists indicators from the narrowest to the widest time horizon: each one's
count (or rate, when denominators differ) may not exceed the next one's. Adding a year's rule is
adding a row here; ``validation.check_cross_rules`` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderedRule:
    goal: str
    codes: tuple[str, ...]  # narrowest horizon first: codes[i] <= codes[i + 1]
    same_denominator: bool
    label_zh: str
    label_en: str


CROSS_RULES: tuple[OrderedRule, ...] = (
    OrderedRule(
        goal="NIT-2023-IV",
        codes=("NIT-2023-IV.1", "NIT-2023-IV.2", "NIT-2023-IV.3"),
        same_denominator=True,
        label_zh="手术当日死亡数 ≤ 术后 24 小时内死亡数 ≤ 术后 48 小时内死亡数",
        label_en="deaths on the day of surgery ≤ within 24 h ≤ within 48 h",
    ),
    OrderedRule(
        goal="NIT-2023-VIII",
        codes=("NIT-2023-VIII.1", "NIT-2023-VIII.2"),
        same_denominator=False,
        label_zh="3 小时集束化治疗完成率 ≤ 6 小时集束化治疗完成率",
        label_en="3-hour bundle completion ≤ 6-hour bundle completion",
    ),
    OrderedRule(
        goal="NIT-2022-VI",
        codes=("NIT-2022-VI.1", "NIT-2022-VI.2"),
        same_denominator=False,
        label_zh="1 小时集束化治疗完成率 ≤ 3 小时集束化治疗完成率",
        label_en="1-hour bundle completion ≤ 3-hour bundle completion",
    ),
)
