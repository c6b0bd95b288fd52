"""Structural checks of one catalog file: codes, uniqueness, units, owners, specialties.

Runs on a possibly incomplete file (fields may be None when the shape check failed), so every
check tolerates missing values; the shape check has already reported them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from services.catalog.fileformat import UNITS, UNITS_BY_KIND, CatalogFile, GoalSpec, IndicatorSpec
from services.catalog.known import KnownCatalog
from services.catalog.problems import Problem, problem

_ROMAN = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman(number: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while number >= value:
            out, number = out + letters, number - value
    return out


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
_CODE = re.compile(r"^(NIT|PIT)-(\d{4})-([IVXL]+|\d+)(?:\.(\d+))?$")


def roman_value(letters: str) -> int:
    values = [_ROMAN_VALUES[c] for c in letters]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def code_sort_key(code: str | None) -> tuple[Any, ...]:
    """Catalog order of a goal or indicator code: year, national before specialty, then the goal's
    number (NIT-2024-V before NIT-2024-IX, which text order gets wrong), then the indicator's seq.
    Codes of another shape sort after, by text."""
    match = _CODE.match(code or "")
    if match is None:
        return (9999, 2, 0, 0, code or "")
    prefix, year, number, seq = match.groups()
    value = roman_value(number) if prefix == "NIT" else int(number)
    return (int(year), 0 if prefix == "NIT" else 1, value, int(seq or 0), "")


def expected_goal_code(year: int, goal_list: str | None, number: int | None) -> str | None:
    if not isinstance(number, int) or number < 1 or number > 39:
        return None
    if goal_list == "national":
        return f"NIT-{year}-{roman(number)}"
    if goal_list == "specialty":
        return f"PIT-{year}-{number:02d}"
    return None


def check(catalog: CatalogFile, known: KnownCatalog) -> Iterator[Problem]:
    yield from _specialties(catalog, known)
    yield from _goal_codes(catalog)
    for goal in catalog.goals:
        yield from _owners(goal, catalog, known)
        for indicator in goal.indicators or []:
            yield from _indicator(goal, indicator)
    yield from _duplicate_indicators(catalog)


def _specialties(catalog: CatalogFile, known: KnownCatalog) -> Iterator[Problem]:
    for key in ("code", "seq", "name"):
        counts = Counter(getattr(s, key) for s in catalog.specialties)
        for value, n in counts.items():
            if value is not None and n > 1:
                yield problem(
                    f"duplicate_specialty_{key}",
                    str(value),
                    key,
                    f"专业的 {key} 重复 {n} 次，每个专业只能出现一次",
                    f"specialty {key} appears {n} times; list each specialty once",
                )
    for s in catalog.specialties:
        old = known.specialties.get(s.code)
        if old and (old.name, old.seq, old.name_en) != (s.name, s.seq, s.name_en):
            yield problem(
                "specialty_changed",
                s.code,
                "name",
                f"专业 {s.code} 已以“{old.name}”（序号 {old.seq}）发布，本文件的名称/序号/英文名不同；"
                "请保持一致或使用新的专业代码",
                f"specialty {s.code} was published as '{old.name}' (seq {old.seq}); keep name, seq and "
                "name_en identical or use a new code",
            )


def _goal_codes(catalog: CatalogFile) -> Iterator[Problem]:
    codes = Counter(g.code for g in catalog.goals if g.code)
    for code, n in codes.items():
        if n > 1:
            yield problem(
                "duplicate_goal_code",
                code,
                "code",
                f"目标代码重复 {n} 次，请为每个目标使用唯一代码",
                f"goal code used {n} times; give every goal a unique code",
            )
    slots = Counter((g.list, g.number) for g in catalog.goals if g.list and g.number)
    for (goal_list, number), n in slots.items():
        if n > 1:
            yield problem(
                "duplicate_goal_number",
                f"{goal_list} #{number}",
                "number",
                f"{goal_list} 列表中序号 {number} 重复 {n} 次",
                f"number {number} used {n} times in the {goal_list} list",
            )
    for g in catalog.goals:
        expected = expected_goal_code(catalog.year, g.list, g.number)
        if g.code and expected and g.code != expected:
            yield problem(
                "goal_code_pattern",
                g.code,
                "code",
                f"代码应为 {expected}（国家目标 NIT-年份-罗马数字，专业目标 PIT-年份-两位序号，与 list/number 一致）",
                f"code should be {expected} (NIT-<year>-<roman> or PIT-<year>-<two digits>, matching list and number)",
            )


def _owners(goal: GoalSpec, catalog: CatalogFile, known: KnownCatalog) -> Iterator[Problem]:
    listed = {s.code for s in catalog.specialties} | set(known.specialties)
    for owner in goal.owners or []:
        if owner not in listed:
            yield problem(
                "unknown_owner",
                goal.code,
                "owners",
                f"负责专业 {owner!r} 不在 specialties 中，请先在 specialties 中列出或改正代码",
                f"owner {owner!r} is not a listed specialty: add it to specialties or fix the code",
            )
    if goal.list == "specialty" and not goal.owners:
        yield problem(
            "specialty_goal_without_owner",
            goal.code,
            "owners",
            "专业目标必须至少有一个负责专业",
            "a specialty goal needs at least one owner",
        )


def _indicator(goal: GoalSpec, ind: IndicatorSpec) -> Iterator[Problem]:
    where = ind.code or f"{goal.code}.?"
    if goal.code and ind.code and not re.fullmatch(re.escape(goal.code) + r"\.[1-9]\d*", ind.code):
        yield problem(
            "indicator_code_pattern",
            where,
            "code",
            f"指标代码应为“{goal.code}.<序号>”，例如 {goal.code}.1",
            f"indicator code must be '{goal.code}.<n>', e.g. {goal.code}.1",
        )
    if ind.unit is not None and ind.unit not in UNITS:
        yield problem(
            "unknown_unit",
            where,
            "unit",
            f"未知单位 {ind.unit!r}，允许：{'、'.join(UNITS)}",
            f"unknown unit {ind.unit!r}; allowed: {', '.join(UNITS)}",
        )
        return
    if ind.unit in UNITS and isinstance(ind.multiplier, int) and ind.multiplier != UNITS[ind.unit]:
        yield problem(
            "multiplier_mismatch",
            where,
            "multiplier",
            f"单位 {ind.unit} 的倍数应为 {UNITS[ind.unit]}，而不是 {ind.multiplier}",
            f"unit {ind.unit} needs multiplier {UNITS[ind.unit]}, not {ind.multiplier}",
        )
    if ind.kind in UNITS_BY_KIND and ind.unit in UNITS and ind.unit not in UNITS_BY_KIND[ind.kind]:
        allowed = "、".join(sorted(UNITS_BY_KIND[ind.kind]))
        yield problem(
            "unit_kind_mismatch",
            where,
            "unit",
            f"{ind.kind} 类指标不能使用单位 {ind.unit}，允许：{allowed}",
            f"a {ind.kind} indicator cannot use unit {ind.unit}; allowed: {allowed}",
        )


def _duplicate_indicators(catalog: CatalogFile) -> Iterator[Problem]:
    codes = Counter(i.code for g in catalog.goals for i in (g.indicators or []) if i.code)
    for code, n in codes.items():
        if n > 1:
            yield problem(
                "duplicate_indicator_code",
                code,
                "code",
                f"指标代码重复 {n} 次，请使用唯一代码",
                f"indicator code used {n} times; give every indicator a unique code",
            )
