"""Parse and validate a catalog file, returning every problem at once.

Shape problems (pydantic) and cross-reference problems (``rules``, ``lineage_rules``) are both
reported: when the shape is broken, the cross-reference checks run on a best-effort copy of the
file so that one missing field does not hide a duplicate code elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from services.catalog import lineage_rules, rules
from services.catalog.fileformat import (
    CatalogFile,
    EdgeSpec,
    GoalSpec,
    IndicatorSpec,
    RetiredSection,
    RetiredSpec,
    SpecialtySpec,
)
from services.catalog.known import KnownCatalog
from services.catalog.problems import Problem, problem
from services.catalog.shape import shape_problems


@dataclass
class ValidationReport:
    catalog: CatalogFile | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.catalog is not None and not self.problems

    def problem_dicts(self) -> list[dict[str, str]]:
        return [p.as_dict() for p in self.problems]


def read_source(path_or_text: str | Path) -> str:
    """A path to a file, or the file's text itself (anything with a newline is treated as text)."""
    if isinstance(path_or_text, Path):
        return path_or_text.read_text(encoding="utf-8")
    if "\n" not in path_or_text and Path(path_or_text).is_file():
        return Path(path_or_text).read_text(encoding="utf-8")
    return path_or_text


def load_yaml(text: str) -> tuple[Any, list[Problem]]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [
            problem("yaml_syntax", "file", "", f"YAML 语法错误：{exc}", f"YAML syntax error: {exc}")
        ]
    if not isinstance(raw, dict):
        return None, [
            problem(
                "not_a_mapping",
                "file",
                "",
                "文件顶层必须是映射（format、year、goals…）",
                "the top level must be a mapping (format, year, goals, ...)",
            )
        ]
    return raw, []


def parse_catalog(text: str) -> CatalogFile:
    """Parse a file known to be valid (e.g. one already published). Raises on any problem."""
    return CatalogFile.model_validate(yaml.safe_load(text))


def validate_catalog(
    path_or_text: str | Path,
    *,
    known: KnownCatalog | None = None,
    earlier: Sequence[CatalogFile] = (),
) -> ValidationReport:
    """Validate one year's file against what is known of earlier years (DB and/or earlier files)."""
    raw, problems = load_yaml(read_source(path_or_text))
    if raw is None:
        return ValidationReport(None, problems)
    context = (known or KnownCatalog()).merged_with(earlier)
    try:
        catalog: CatalogFile = CatalogFile.model_validate(raw)
        valid_shape = True
    except ValidationError as exc:
        problems.extend(shape_problems(exc, raw))
        catalog = _salvage(raw)
        valid_shape = False
    if catalog.year is not None:
        problems.extend(rules.check(catalog, context))
        problems.extend(lineage_rules.check(catalog, context))
    return ValidationReport(catalog if valid_shape else None, _unique(problems))


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple, Problem] = {}
    for p in problems:
        seen.setdefault((p.code, p.where, p.field, p.message), p)
    return list(seen.values())


# -- best-effort copy of a file whose shape is broken -------------------------------------------


def _pick(model: type, raw: Any, **nested: Any) -> Any:
    data = raw if isinstance(raw, dict) else {}
    values = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        values[name] = nested[name] if name in nested else data.get(key)
    return model.model_construct(**values)


def _items(raw: Any, key: str) -> list:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, list) else []


def _salvage_edges(raw: Any) -> list[EdgeSpec]:
    edges = []
    for e in _items(raw, "lineage"):
        kinds = e.get("kinds") if isinstance(e, dict) else None
        edges.append(
            _pick(
                EdgeSpec, e, kinds=[k for k in kinds if isinstance(k, str)] if isinstance(kinds, list) else []
            )
        )
    return edges


def _salvage_goal(raw: Any) -> GoalSpec:
    indicators = [_pick(IndicatorSpec, i, lineage=_salvage_edges(i)) for i in _items(raw, "indicators")]
    owners = [o for o in _items(raw, "owners") if isinstance(o, str)]
    return _pick(GoalSpec, raw, indicators=indicators, lineage=_salvage_edges(raw), owners=owners)


def _salvage(raw: dict) -> CatalogFile:
    retired_raw = raw.get("retired") if isinstance(raw.get("retired"), dict) else {}
    retired = RetiredSection.model_construct(
        goals=[_pick(RetiredSpec, r) for r in _items(retired_raw, "goals")],
        indicators=[_pick(RetiredSpec, r) for r in _items(retired_raw, "indicators")],
    )
    year = raw.get("year") if isinstance(raw.get("year"), int) else None
    return _pick(
        CatalogFile,
        raw,
        year=year,
        specialties=[_pick(SpecialtySpec, s) for s in _items(raw, "specialties")],
        goals=[_salvage_goal(g) for g in _items(raw, "goals")],
        retired=retired,
    )
