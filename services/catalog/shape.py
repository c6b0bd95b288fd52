"""Turn pydantic shape errors into problems that name the goal/indicator code and the field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from services.catalog.problems import Problem, problem

_ZH = {
    "missing": ("缺少必填字段，请补充", "required field is missing: add it"),
    "string_too_short": ("不能为空，请填写", "must not be empty: fill it in"),
    "too_short": ("至少需要一项，请补充", "needs at least one entry: add one"),
    "extra_forbidden": ("未知字段，请删除或改正拼写", "unknown field: remove it or fix the spelling"),
    "literal_error": ("取值无效", "invalid value"),
    "string_pattern_mismatch": ("格式不符", "wrong format"),
    "greater_than": ("必须大于 0", "must be greater than 0"),
}


def _child(node: Any, part: Any) -> Any:
    try:
        return node[part]
    except (KeyError, IndexError, TypeError):
        return None


def _locate(loc: tuple[Any, ...], raw: Any) -> tuple[str, str]:
    """(where, field): the innermost goal/indicator code on the path, and the rest of the path."""
    where, start, node = "file", 0, raw
    for i, part in enumerate(loc):
        node = _child(node, part)
        if isinstance(part, int) and i > 0 and loc[i - 1] in ("goals", "indicators", "specialties"):
            code = node.get("code") if isinstance(node, dict) else None
            where = code if isinstance(code, str) and code else f"{loc[i - 1]}[{part}]"
            start = i + 1
    return where, _path(list(loc[start:]))


def _path(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def shape_problems(exc: ValidationError, raw: Any) -> list[Problem]:
    problems = []
    for err in exc.errors():
        where, field = _locate(tuple(err["loc"]), raw)
        zh, en = _ZH.get(err["type"], ("格式错误", "wrong shape"))
        detail = err.get("msg", "")
        if err["type"] == "literal_error":
            expected = (err.get("ctx") or {}).get("expected", "")
            zh, en = (
                f"取值 {err.get('input')!r} 无效，允许值：{expected}",
                f"invalid value {err.get('input')!r}: {detail}",
            )
        elif err["type"] not in _ZH:
            en = f"{en}: {detail}"
        problems.append(problem(f"shape_{err['type']}", where, field, zh, en))
    return problems
