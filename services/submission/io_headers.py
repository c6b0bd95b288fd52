"""Column headers of uploaded files and templates: Chinese and English names, checked all at once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from services.core.errors import ValidationFailed

FIELDS = ("indicator", "numerator", "denominator", "comment")
REQUIRED_FIELDS = ("indicator", "numerator", "denominator")
FIELD_LABELS = {"indicator": "指标编码", "numerator": "分子", "denominator": "分母", "comment": "备注"}
_ALIASES = {
    "indicator": ("指标编码", "indicator", "indicator_code", "code"),
    "numerator": ("分子", "numerator"),
    "denominator": ("分母", "denominator"),
    "comment": ("备注", "comment", "comments", "note"),
}
HEADER_TO_FIELD = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
# Columns the templates carry for the reader's benefit; ignored on the way in.
REFERENCE_HEADERS = frozenset(
    {
        "指标名称",
        "分子定义",
        "分母定义",
        "单位",
        "name",
        "indicator_name",
        "numerator_definition",
        "denominator_definition",
        "unit",
    }
)
TEMPLATE_HEADERS = ("指标编码", "指标名称", "分子定义", "分母定义", "单位", "分子", "分母", "备注")


def normalise_header(text: Any) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower().replace("-", "_")


def looks_like_header(cells: Iterable[Any]) -> bool:
    names = {HEADER_TO_FIELD.get(normalise_header(c)) for c in cells}
    return set(REQUIRED_FIELDS) <= names


def map_headers(cells: list[Any], *, row: int) -> dict[str, int]:
    """Column index of every field; raises listing every unknown, duplicate or missing header."""
    found: dict[str, int] = {}
    problems: list[dict[str, Any]] = []
    for index, cell in enumerate(cells):
        key = normalise_header(cell)
        if not key or key in REFERENCE_HEADERS:
            continue
        name = HEADER_TO_FIELD.get(key)
        if name is None:
            problems.append(
                _header_problem(row, cell, "unknown_column", f"未知列 '{cell}' / unknown column '{cell}'")
            )
        elif name in found:
            problems.append(
                _header_problem(
                    row, cell, "duplicate_column", f"列 '{cell}' 重复 / column '{cell}' appears twice"
                )
            )
        else:
            found[name] = index
    for name in REQUIRED_FIELDS:
        if name not in found:
            label = FIELD_LABELS[name]
            problems.append(
                _header_problem(row, label, "missing_column", f"缺少列 '{label}' / missing column '{name}'")
            )
    if problems:
        raise ValidationFailed(
            "表头不正确：应为 指标编码, 分子, 分母, 备注（或 indicator, numerator, denominator, comment）/ "
            "bad header row: expected indicator, numerator, denominator, comment",
            problems=problems,
        )
    return found


def _header_problem(row: int, column: Any, code: str, text: str) -> dict[str, Any]:
    return {
        "row": row,
        "column": str(column),
        "code": code,
        "problem": f"第 {row} 行表头 / header row {row}: {text}",
    }
