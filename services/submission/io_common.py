"""Shared pieces of the file adapters (CSV, XLSX): limits, errors, headers and row checking.

The adapters only turn a file into rows; every submission rule lives in ``service.submit``.
What is checked here is what only the file knows: which row and column a value came from,
whether a cell holds a non-negative integer, and whether the file is safe to read at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.core.errors import DomainError, ValidationFailed
from services.core.quarter import Quarter
from services.submission.io_headers import FIELD_LABELS
from services.submission.schemas import ValueIn

MAX_COUNT = 2_147_483_647  # counts are stored as 32-bit integers (as validation.MAX_COUNT)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class UploadSettings(BaseSettings):
    """Limits for uploaded files (environment ``QCP_UPLOAD_*``)."""

    model_config = SettingsConfigDict(env_prefix="QCP_UPLOAD_", extra="ignore")

    max_bytes: int = 2 * 1024 * 1024  # the file as sent
    max_uncompressed_bytes: int = 20 * 1024 * 1024  # all XLSX members together, unpacked
    max_member_ratio: int = 100  # unpacked / packed size of one XLSX member
    # members smaller than this are not ratio-checked: a long comment repeated down a sheet
    # compresses several hundred to one and is no bomb (the total above still bounds it)
    ratio_floor_bytes: int = 4 * 1024 * 1024
    max_rows: int = 5000


@lru_cache
def upload_settings() -> UploadSettings:
    return UploadSettings()


class FileTooLarge(DomainError):
    code = "file_too_large"
    status = 413


class UnsupportedFileType(DomainError):
    code = "unsupported_media_type"
    status = 415


class FileUnreadable(ValidationFailed):
    """The bytes cannot be read as the declared kind of file (encoding, not a workbook, …)."""

    code = "file_unreadable"


class UnsafeFile(ValidationFailed):
    """The file tries something a spreadsheet never needs (zip bomb, DTD, macros, links)."""

    code = "unsafe_file"


class TemplateMismatch(ValidationFailed):
    """A template downloaded for another hospital, quarter or catalog year."""

    code = "template_mismatch"


def too_large(size: int, limit: int) -> FileTooLarge:
    return FileTooLarge(
        f"文件过大：{size} 字节，上限 {limit} 字节 / the file is {size} bytes, the limit is {limit} bytes",
        limit=limit,
    )


@dataclass(frozen=True)
class TemplateMeta:
    """What a template was made for; an upload of it elsewhere is refused."""

    hospital_id: int
    quarter: Quarter
    catalog_year: int | None = None


@dataclass(frozen=True)
class TemplateIndicator:
    """One row of a template: what the hospital must report and how it is defined."""

    code: str
    name: str
    numerator: str
    denominator: str
    unit: str
    # the values on record (a prefilled template for corrections); None = blank cells
    reported_numerator: int | None = None
    reported_denominator: int | None = None
    reported_comment: str | None = None

    def reported_cells(self) -> list[object]:
        """分子, 分母, 备注 as the template shows them ("" where nothing is on record)."""
        values = (self.reported_numerator, self.reported_denominator, self.reported_comment)
        return ["" if v is None else v for v in values]


META_MARKER = "#QCP"  # first cell of the CSV template's metadata line


def meta_pairs(meta: TemplateMeta) -> list[tuple[str, str]]:
    return [
        ("hospital", str(meta.hospital_id)),
        ("quarter", str(meta.quarter)),
        ("catalog", "" if meta.catalog_year is None else str(meta.catalog_year)),
    ]


def parse_meta(pairs: dict[str, str]) -> TemplateMeta:
    """Template metadata from its key/value pairs; refused when damaged."""
    try:
        catalog = pairs.get("catalog") or None
        return TemplateMeta(
            int(pairs["hospital"]), Quarter.parse(pairs["quarter"]), int(catalog) if catalog else None
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise TemplateMismatch(
            "模板元数据已损坏，请重新下载模板 / "
            "the template metadata is damaged: download the template again",
            problems=[{"field": "metadata", "code": "template_metadata", "problem": str(exc)}],
        ) from exc


def check_meta(found: TemplateMeta, expected: TemplateMeta | None) -> None:
    if expected is None:
        return
    problems = []
    pairs = [
        ("hospital_id", "医院", "hospital"),
        ("quarter", "季度", "quarter"),
        ("catalog_year", "目标年度", "catalog year"),
    ]
    for attr, zh, en in pairs:
        got, want = getattr(found, attr), getattr(expected, attr)
        if want is not None and got != want:
            problems.append(
                {
                    "field": attr,
                    "code": "template_mismatch",
                    "expected": str(want),
                    "found": str(got),
                    "problem": f"模板{zh}为 {got}，应为 {want} / template {en} is {got}, expected {want}",
                }
            )
    if problems:
        raise TemplateMismatch(
            "该模板不是为此医院、季度或目标年度下载的，请重新下载模板 / this template was made for another "
            "hospital, quarter or catalog year: download the template again",
            problems=problems,
        )


# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRow:
    """One data row as read from a file: ``row`` is the spreadsheet row number users see."""

    row: int
    values: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)  # field -> cell reference (XLSX only)


@dataclass(frozen=True)
class ParsedRow:
    row: int
    indicator: str
    numerator: int
    denominator: int
    comment: str | None


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


Reason = tuple[str, str, str]  # (stable code, Chinese, English)


def _not_count(shown: Any) -> Reason:
    return ("not_a_count", f"'{shown}' 不是非负整数", f"'{shown}' is not a non-negative integer")


REQUIRED: Reason = ("required", "不能为空", "is required")


def parse_count(value: Any) -> tuple[int | None, Reason | None]:
    """A non-negative integer from a cell, or the reason it is not one."""
    if is_blank(value):
        return None, REQUIRED
    if isinstance(value, bool):
        return None, _not_count(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        return None, _not_count(str(value).strip()[:40])
    if value < 0:
        return None, _not_count(value)
    if value > MAX_COUNT:
        return None, (
            "count_too_large",
            f"{value} 超过上限 {MAX_COUNT}",
            f"{value} exceeds the maximum {MAX_COUNT}",
        )
    return value, None


def cell_problem(raw: RawRow, name: str, reason: Reason, indicator: str | None = None) -> dict[str, Any]:
    label = FIELD_LABELS[name]
    ref = raw.refs.get(name)
    where_zh = f"第 {raw.row} 行 {label}" + (f"（{ref}）" if ref else "")
    where_en = f"row {raw.row} {name}" + (f" ({ref})" if ref else "")
    problem = {"row": raw.row, "column": label, "field": name, "indicator": indicator, "code": reason[0]}
    if ref:
        problem["cell"] = ref
    problem["problem"] = f"{where_zh}: {reason[1]} / {where_en}: {reason[2]}"
    return problem


def _text(value: Any) -> str | None:
    if is_blank(value):
        return None
    return value.strip() if isinstance(value, str) else str(value)


def check_row(raw: RawRow) -> tuple[ParsedRow | None, list[dict[str, Any]]]:
    """One row → a ParsedRow (None for a row left blank) and the problems found in it."""
    code = _text(raw.values.get("indicator"))
    counts = {name: raw.values.get(name) for name in ("numerator", "denominator")}
    comment = raw.values.get("comment")
    if all(is_blank(v) for v in (*counts.values(), comment)):
        return None, []  # a template row left empty: not reported this time
    problems = []
    if code is None:
        problems.append(cell_problem(raw, "indicator", REQUIRED))
    parsed: dict[str, int] = {}
    for name, value in counts.items():
        number, reason = parse_count(value)
        if reason:
            problems.append(cell_problem(raw, name, reason, code))
        elif number is not None:  # parse_count gives a number or a reason
            parsed[name] = number
    if problems or code is None:  # a missing code is one of the problems
        return None, problems
    text = comment if isinstance(comment, str) else _text(comment)
    text = unneutralised(text if text is None or text.strip() else None)
    return ParsedRow(raw.row, code, parsed["numerator"], parsed["denominator"], text), []


def check_rows(raws: Iterable[RawRow], *, max_rows: int | None = None) -> list[ParsedRow]:
    """Every row checked; raises one ValidationFailed listing every problem with its row."""
    limit = max_rows or upload_settings().max_rows
    rows: list[ParsedRow] = []
    problems: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for raw in raws:
        if len(rows) + len(problems) >= limit:
            raise ValidationFailed(
                f"数据行超过 {limit} 行 / more than {limit} data rows",
                problems=[{"code": "too_many_rows", "limit": limit}],
            )
        row, found = check_row(raw)
        problems.extend(found)
        if row is None:
            continue
        if row.indicator in first_row:
            reason = (
                "duplicate_indicator",
                f"指标 {row.indicator} 与第 {first_row[row.indicator]} 行重复",
                f"indicator {row.indicator} repeats row {first_row[row.indicator]}",
            )
            problems.append(cell_problem(raw, "indicator", reason, row.indicator))
            continue
        first_row[row.indicator] = row.row
        rows.append(row)
    if problems:
        raise ValidationFailed(
            f"文件中有 {len(problems)} 处错误 / the file has {len(problems)} problem(s)", problems=problems
        )
    return rows


def to_values(rows: list[ParsedRow]) -> list[ValueIn]:
    """ParsedRows → ``ValueIn``; a schema rule broken by a row is reported with its row number."""
    values, problems = [], []
    for row in rows:
        try:
            values.append(
                ValueIn(
                    indicator=row.indicator,
                    numerator=row.numerator,
                    denominator=row.denominator,
                    comment=row.comment,
                )
            )
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err.get("loc") else "indicator"
                name = name if name in FIELD_LABELS else "indicator"
                raw = RawRow(row.row, {})
                problems.append(cell_problem(raw, name, ("invalid", err["msg"], err["msg"]), row.indicator))
    if problems:
        raise ValidationFailed(
            f"文件中有 {len(problems)} 处错误 / the file has {len(problems)} problem(s)", problems=problems
        )
    return values


def with_row_numbers(exc: ValidationFailed, rows: list[ParsedRow]) -> ValidationFailed:
    """Add the file row to each problem ``submit`` reported (by value index, else by indicator)."""
    row_of = {row.indicator: row.row for row in rows}
    for problem in exc.problems:
        index = problem.get("index")
        if "row" in problem:
            continue
        if isinstance(index, int) and 0 <= index < len(rows):
            problem["row"] = rows[index].row
        elif problem.get("indicator") in row_of:
            problem["row"] = row_of[problem["indicator"]]
    return exc


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (exports only)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralised(text: str | None) -> str | None:
    """Undo :func:`spreadsheet_safe` on upload: a prefilled template sent back unchanged stores the
    comment exactly as it was sent the first time ("'=1+1" in the file is the comment "=1+1")."""
    if text is not None and text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text
