"""Pure submission rules. Each returns the problems it finds (never raises), so a batch reports
every problem at once; :func:`refuse` turns the collected list into one ``ValidationFailed``.

Messages are Chinese first, English second; each problem names the indicator, the field, a stable
``code`` and how to fix it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.submission.rules import CROSS_RULES, OrderedRule
from services.submission.schemas import Problem, ValueIn

MAX_COUNT = 2_147_483_647  # counts are stored as 32-bit integers
RETIRED = "retired"


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    code: str
    year: int
    goal_id: int
    goal_code: str
    goal_list: str  # national | specialty
    kind: str  # proportion | rate | ratio
    withdrawn_revision: int | None = None  # withdrawn by that catalog revision: no new values
    replaced_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counts:
    numerator: int
    denominator: int


def problem(
    code: str,
    field: str,
    zh: str,
    en: str,
    fix_zh: str,
    fix_en: str,
    *,
    indicator: str | None = None,
    index: int | None = None,
) -> Problem:
    return Problem(
        indicator=indicator,
        field=field,
        code=code,
        problem=f"{zh} / {en}",
        fix=f"{fix_zh} / {fix_en}",
        index=index,
    )


def parse_quarter(text: str) -> Quarter:
    """A ``YYYYQn`` string → :class:`Quarter`, or ``ValidationFailed`` naming the format."""
    try:
        return Quarter.parse(text)
    except (ValueError, TypeError):
        raise ValidationFailed(
            f"季度格式错误 / bad quarter {text!r}",
            problems=[
                problem(
                    "bad_quarter",
                    "quarter",
                    f"季度 {text!r} 格式错误",
                    f"quarter {text!r} is malformed",
                    "请使用 YYYYQn，例如 2023Q2",
                    "use YYYYQn, e.g. 2023Q2",
                ).model_dump()
            ],
        ) from None


def check_quarter(quarter: Quarter, today: date) -> list[Problem]:
    """Only quarters that have started can be reported (the window decides when exactly)."""
    if quarter.start > today:
        return [
            problem(
                "future_quarter",
                "quarter",
                f"{quarter} 尚未开始",
                f"{quarter} has not started yet",
                "只能上报已结束的季度",
                "report a quarter that has ended",
            )
        ]
    return []


def check_counts(value: ValueIn, kind: str | None, index: int | None = None) -> list[Problem]:
    """Non-negative whole counts; proportions need numerator ≤ denominator; 0/0 is "no cases"."""
    out, code = [], value.indicator
    for field, number in (("numerator", value.numerator), ("denominator", value.denominator)):
        if number < 0:
            out.append(
                problem(
                    "negative_count",
                    field,
                    f"{field} 为负数 {number}",
                    f"{field} is negative ({number})",
                    "计数不能为负数",
                    "counts cannot be negative",
                    indicator=code,
                    index=index,
                )
            )
        elif number > MAX_COUNT:
            out.append(
                problem(
                    "count_too_large",
                    field,
                    f"{field} 超出上限",
                    f"{field} exceeds {MAX_COUNT}",
                    "请核对数值",
                    "check the value",
                    indicator=code,
                    index=index,
                )
            )
    if out:
        return out
    if value.denominator == 0 and value.numerator > 0:
        out.append(
            problem(
                "numerator_without_denominator",
                "numerator",
                "分母为 0 时分子必须为 0",
                "numerator must be 0 when the denominator is 0 (no cases)",
                "无病例请填 0/0；否则请填写分母",
                "send 0/0 for no cases, or fill in the denominator",
                indicator=code,
                index=index,
            )
        )
    elif kind == "proportion" and value.numerator > value.denominator:
        out.append(
            problem(
                "numerator_above_denominator",
                "numerator",
                f"分子 {value.numerator} 大于分母 {value.denominator}",
                f"numerator {value.numerator} exceeds denominator {value.denominator}",
                "比例类指标的分子不能大于分母",
                "a proportion's numerator cannot exceed its denominator",
                indicator=code,
                index=index,
            )
        )
    return out


def check_duplicates(values: Sequence[ValueIn]) -> list[Problem]:
    counts = Counter(v.indicator for v in values)
    return [
        problem(
            "duplicate_indicator",
            "indicator",
            f"指标 {code} 在本批中出现 {n} 次",
            f"indicator {code} appears {n} times in this batch",
            "每个指标只报一次",
            "send each indicator once",
            indicator=code,
            index=max(i for i, v in enumerate(values) if v.indicator == code),
        )
        for code, n in counts.items()
        if n > 1
    ]


def check_indicator(
    code: str, info: IndicatorInfo | None, catalog_year: int, successor: str | None, index: int | None = None
) -> list[Problem]:
    """The indicator exists and belongs to the quarter's catalog year (else name its successor)."""
    if info is None:
        return [
            problem(
                "unknown_indicator",
                "indicator",
                f"未知指标 {code}",
                f"unknown indicator {code}",
                f"请使用 {catalog_year} 年目录中的指标编码",
                f"use an indicator code of the {catalog_year} catalog",
                indicator=code,
                index=index,
            )
        ]
    if info.year == catalog_year and info.withdrawn_revision is not None:
        return [_withdrawn(code, info, index)]
    if info.year == catalog_year:
        return []
    if successor == RETIRED:
        hint_zh, hint_en, kind = (
            f"{code} 在 {catalog_year} 年已停用",
            f"{code} was retired in {catalog_year}",
            "retired_indicator",
        )
    elif successor:
        hint_zh, hint_en, kind = (
            f"请改用 {successor}",
            f"use its {catalog_year} successor {successor}",
            "indicator_renamed",
        )
    else:
        hint_zh, hint_en, kind = (
            f"请使用 {catalog_year} 年目录中的指标",
            f"use a {catalog_year} indicator",
            "wrong_catalog_year",
        )
    return [
        problem(
            kind,
            "indicator",
            f"指标 {code} 属于 {info.year} 年目录，本季度使用 {catalog_year} 年目录",
            f"indicator {code} is from the {info.year} catalog; this quarter uses {catalog_year}",
            hint_zh,
            hint_en,
            indicator=code,
            index=index,
        )
    ]


def _withdrawn(code: str, info: IndicatorInfo, index: int | None) -> Problem:
    successors = ", ".join(info.replaced_by)
    return problem(
        "withdrawn_indicator",
        "indicator",
        f"指标 {code} 已在 {info.year} 年目录第 {info.withdrawn_revision} 版中撤销，不再接收新数据",
        f"indicator {code} was withdrawn by revision {info.withdrawn_revision} of the {info.year} catalog "
        "and takes no new values",
        f"请改用 {successors}" if successors else f"请使用 {info.year} 年目录当前版本中的指标",
        f"use its successor {successors}"
        if successors
        else f"use an indicator of the current {info.year} catalog",
        indicator=code,
        index=index,
    )


def check_applicable(code: str, not_applicable_reason: str | None, index: int | None = None) -> list[Problem]:
    if not_applicable_reason is None:
        return []
    return [
        problem(
            "not_applicable",
            "indicator",
            f"指标 {code} 已标记为本院不适用（{not_applicable_reason}）",
            f"indicator {code} is marked not applicable to this hospital ({not_applicable_reason})",
            "删除该行，或请质控中心恢复为需上报",
            "drop the row, or ask the QC center to mark it required",
            indicator=code,
            index=index,
        )
    ]


def check_reason(corrected: Iterable[str], reason: str | None) -> list[Problem]:
    """Changing a value already on record needs a reason (it is kept with the new version)."""
    codes = sorted(corrected)
    if codes and not (reason or "").strip():
        return [
            problem(
                "reason_required",
                "reason",
                f"更正已上报的指标 {', '.join(codes)} 需要说明原因",
                f"correcting reported indicators {', '.join(codes)} needs a reason",
                "请在 reason 中说明更正原因",
                "say why in 'reason'",
            )
        ]
    return []


def _exceeds(low: Counts, high: Counts) -> bool:
    if low.denominator == high.denominator:
        return low.numerator > high.numerator
    if low.denominator == 0 or high.denominator == 0:
        return False  # no cases on one side: nothing to compare
    return low.numerator * high.denominator > high.numerator * low.denominator


def _check_rule(rule: OrderedRule, state: Mapping[str, Counts]) -> list[Problem]:
    present = [c for c in rule.codes if c in state]
    out: list[Problem] = []
    if rule.same_denominator and len({state[c].denominator for c in present}) > 1:
        dens = ", ".join(f"{c}={state[c].denominator}" for c in present)
        out.append(
            problem(
                "denominator_mismatch",
                "denominator",
                f"{rule.goal} 各指标分母必须相同（{dens}）",
                f"{rule.goal} indicators must share one denominator ({dens})",
                "请使用同一手术患者总数作为分母",
                "use the same denominator for each",
                indicator=present[-1],
            )
        )
        return out
    for low, high in zip(present, present[1:], strict=False):
        if _exceeds(state[low], state[high]):
            out.append(
                problem(
                    "cross_indicator_order",
                    "numerator",
                    f"{low} 大于 {high}：应满足 {rule.label_zh}",
                    f"{low} exceeds {high}: expected {rule.label_en}",
                    f"请核对 {low} 与 {high}",
                    f"check {low} and {high}",
                    indicator=low,
                )
            )
    return out


def check_cross_rules(
    state: Mapping[str, Counts], rules: Iterable[OrderedRule] = CROSS_RULES
) -> list[Problem]:
    """Apply every rule to the submission's values after this batch (stored values + new ones)."""
    return [p for rule in rules for p in _check_rule(rule, state)]


def refuse(problems: Sequence[Problem]) -> None:
    """Raise one ``ValidationFailed`` listing every problem (no-op when there are none)."""
    if not problems:
        return
    codes = sorted({p.code for p in problems})
    raise ValidationFailed(
        f"上报被拒绝：{len(problems)} 个问题，未保存任何数据 / submission refused: {len(problems)} problem(s), "
        f"nothing was saved ({', '.join(codes)})",
        problems=[p.model_dump() for p in problems],
    )
