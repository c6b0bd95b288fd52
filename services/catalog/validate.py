"""Parse and validate a catalog file, returning every problem at once.

Shape problems (pydantic) and cross-reference problems (``rules``, ``lineage_rules``) are both
reported: when the shape is broken, the cross-reference checks run on a best-effort copy of the
file so that one missing field does not hide a duplicate code elsewhere.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from services.catalog import lineage_rules, revision_rules, rules, rules_v2
from services.catalog.fileformat import (
    CatalogFile,
    EdgeSpec,
    GoalSpec,
    IndicatorSpec,
    RetiredSection,
    RetiredSpec,
    SourceSpec,
    SpecialtySpec,
    WithdrawnSpec,
)
from services.catalog.known import KnownCatalog
from services.catalog.problems import Problem, problem
from services.catalog.revision_rules import PreviousRevision
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
    """A path to a file, or the file's text itself (YAML or JSON).

    A ``Path`` is always read. A string is text when it has a newline or starts with ``{`` (a
    single-line JSON document); otherwise it is read as a path when such a file exists (a string
    too long to be a file name is text, not a crash).
    """
    if isinstance(path_or_text, Path):
        return path_or_text.read_text(encoding="utf-8")
    if "\n" in path_or_text or path_or_text.lstrip().startswith("{"):
        return path_or_text
    try:
        is_file = Path(path_or_text).is_file()
    except (OSError, ValueError):  # e.g. "File name too long", NUL bytes
        return path_or_text
    return Path(path_or_text).read_text(encoding="utf-8") if is_file else path_or_text


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: ~10× faster


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> bytes:
    """The YAML ``text`` parsed once per process (publishing the shipped steps reads each file several
    times: ordering, checking, publishing), kept pickled so that every caller gets its own copy."""
    return pickle.dumps(yaml.load(text, Loader=_LOADER), protocol=pickle.HIGHEST_PROTOCOL)  # noqa: S506 - a safe loader


def safe_load(text: str) -> Any:
    """``yaml.safe_load``, cached per text; a syntax error is reported by PyYAML's own safe loader."""
    try:
        return pickle.loads(_parsed(text))  # noqa: S301 - bytes this process pickled itself
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises, with the pure-Python loader's message


def load_yaml(text: str) -> tuple[Any, list[Problem]]:
    try:
        raw = safe_load(text)
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
    return CatalogFile.model_validate(safe_load(text))


def validate_catalog(
    path_or_text: str | Path,
    *,
    known: KnownCatalog | None = None,
    earlier: Sequence[CatalogFile] = (),
) -> ValidationReport:
    """Validate one file against what is known of other years (DB and/or other files).

    When ``known`` (with ``earlier``) already holds the file's year, the file is a revision of it:
    it is checked against the other years plus the revision rules (``revision_rules``).
    """
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
    if isinstance(catalog.year, int):
        base = Path(path_or_text).parent if isinstance(path_or_text, Path) else None
        problems.extend(rules_v2.check(catalog, base_dir=base))
        problems.extend(rules.check(catalog, context))
        if catalog.year in context.revisions:
            previous = PreviousRevision.of(context, catalog.year)
            problems.extend(revision_rules.check(catalog, previous))
            context = context.without_year(catalog.year)
        elif (catalog.revision or 1) > 1:
            problems.extend(revision_rules.check(catalog, None))
        problems.extend(lineage_rules.check(catalog, context))
    return ValidationReport(catalog if valid_shape else None, _unique(problems))


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[Any, ...], Problem] = {}
    for p in problems:
        seen.setdefault((p.code, p.where, p.field, p.message), p)
    return list(seen.values())


# -- best-effort copy of a file whose shape is broken -------------------------------------------

_Model = TypeVar("_Model", bound=BaseModel)


def _pick(model: type[_Model], raw: Any, **nested: Any) -> _Model:
    data = raw if isinstance(raw, dict) else {}
    values = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        values[name] = nested[name] if name in nested else data.get(key)
    return model.model_construct(**values)


def _items(raw: Any, key: str) -> list[Any]:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, list) else []


def _strings(raw: Any, key: str) -> list[str]:
    return [x for x in _items(raw, key) if isinstance(x, str)]


def _marked(model: type[_Model], raw: Any, **nested: Any) -> _Model:
    """A salvaged item that has verification marks: ``sources`` always a list of strings."""
    return _pick(model, raw, sources=_strings(raw, "sources"), **nested)


def _salvage_edges(raw: Any) -> list[EdgeSpec]:
    return [_marked(EdgeSpec, e, kinds=_strings(e, "kinds")) for e in _items(raw, "lineage")]


def _salvage_goal(raw: Any) -> GoalSpec:
    indicators = [_marked(IndicatorSpec, i, lineage=_salvage_edges(i)) for i in _items(raw, "indicators")]
    return _marked(
        GoalSpec,
        raw,
        indicators=indicators,
        lineage=_salvage_edges(raw),
        owners=_strings(raw, "owners"),
        core_strategies=_strings(raw, "core_strategies"),
    )


def _salvage(raw: dict[str, Any]) -> CatalogFile:
    retired_raw = raw.get("retired") if isinstance(raw.get("retired"), dict) else {}
    retired = RetiredSection.model_construct(
        goals=[_marked(RetiredSpec, r) for r in _items(retired_raw, "goals")],
        indicators=[_marked(RetiredSpec, r) for r in _items(retired_raw, "indicators")],
    )
    year = raw.get("year") if isinstance(raw.get("year"), int) else None
    revision = raw.get("revision") if isinstance(raw.get("revision"), int) else 1
    sources_raw = raw.get("sources")
    if not isinstance(sources_raw, dict):
        sources_raw = {}
    return _pick(
        CatalogFile,
        raw,
        year=year,
        revision=revision,
        sources={k: _pick(SourceSpec, v) for k, v in sources_raw.items() if isinstance(k, str)},
        specialty_list=raw.get("specialty_list") if raw.get("specialty_list") == "pending" else "loaded",
        specialties=[_pick(SpecialtySpec, s) for s in _items(raw, "specialties")],
        goals=[_salvage_goal(g) for g in _items(raw, "goals")],
        retired=retired,
        withdrawn=[
            _pick(WithdrawnSpec, w, replaced_by=_strings(w, "replaced_by")) for w in _items(raw, "withdrawn")
        ],
    )
