"""Pydantic's refusals of a form, in the page's words: the field's label and the problem in
Chinese first, English second ("床位数：不能小于 0 / beds: must be ≥ 0"), never "beds: Field required"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "province_code": ("省份", "province"),
    "credit_code": ("统一社会信用代码", "credit code"),
    "name": ("名称", "name"),
    "level": ("级别", "level"),
    "grade": ("等次", "grade"),
    "type": ("类别", "type"),
    "kind": ("类型", "kind"),
    "prefecture_code": ("地市", "prefecture"),
    "beds": ("床位数", "beds"),
    "reports_from": ("起报季度", "first quarter to report"),
    "reason": ("原因", "reason"),
    "qc_center_id": ("质控中心", "QC center"),
    "hospital_id": ("医院", "hospital"),
    "valid_from": ("加入日期", "member from"),
    "valid_to": ("退出日期", "member until"),
    "specialty_code": ("专业", "specialty"),
}


def _problem(error: Mapping[str, Any]) -> tuple[str, str]:
    kind, ctx = error["type"], error.get("ctx") or {}
    simple = {
        "missing": ("必填", "required"),
        "int_parsing": ("须为整数", "must be a whole number"),
        "int_type": ("须为整数", "must be a whole number"),
        "int_from_float": ("须为整数", "must be a whole number"),
        "date_from_datetime_parsing": ("须为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"),
        "date_parsing": ("须为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"),
        "string_pattern_mismatch": ("格式不正确", "has the wrong format"),
        "extra_forbidden": ("不是此表单的字段", "is not a field of this form"),
    }
    if kind in simple:
        return simple[kind]
    bounds = {
        "greater_than_equal": ("不能小于 {ge}", "must be ≥ {ge}"),
        "greater_than": ("须大于 {gt}", "must be > {gt}"),
        "less_than_equal": ("不能大于 {le}", "must be ≤ {le}"),
        "less_than": ("须小于 {lt}", "must be < {lt}"),
        "string_too_short": ("至少 {min_length} 个字", "needs at least {min_length} characters"),
        "string_too_long": ("最多 {max_length} 个字", "takes at most {max_length} characters"),
        "literal_error": ("须为以下之一：{expected}", "must be one of {expected}"),
        "enum": ("须为以下之一：{expected}", "must be one of {expected}"),
    }
    if kind in bounds:
        zh, en = bounds[kind]
        return zh.format(**ctx), en.format(**ctx)
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return (message, message) if " / " not in message else tuple(message.split(" / ", 1))  # type: ignore[return-value]


def problems_of(exc: ValidationError) -> list[dict[str, str]]:
    """One problem per refusal: {"field", "problem"} with "中文 / English" text, labels for fields."""
    out = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "—"
        zh_label, en_label = FIELD_LABELS.get(field, (field, field))
        zh, en = _problem(error)
        out.append({"field": field, "problem": f"{zh_label}：{zh} / {en_label}: {en}"})
    return out
