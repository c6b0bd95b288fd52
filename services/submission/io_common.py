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

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.core.errors import DomainError, ValidationFailed

MAX_COUNT = 2_147_483_647  # counts are stored as 32-bit integers
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class UploadSettings(BaseSettings):
    """Limits for uploaded files (environment ``QCP_UPLOAD_*``)."""

    model_config = SettingsConfigDict(env_prefix="QCP_UPLOAD_", extra="ignore")

    max_bytes: int = 2 * 1024 * 1024  # the file as sent
    max_uncompressed_bytes: int = 20 * 1024 * 1024  # all XLSX members together, unpacked
    max_member_ratio: int = 100  # unpacked / packed size of one XLSX member
    ratio_floor_bytes: int = 256 * 1024  # members smaller than this are not ratio-checked
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


# --- headers -----------------------------------------------------------------------------------

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
    {"指标名称", "分子定义", "分母定义", "单位", "name", "indicator_name", "numerator_definition",
     "denominator_definition", "unit"}
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
    problems: list[dict] = []
    for index, cell in enumerate(cells):
        key = normalise_header(cell)
        if not key or key in REFERENCE_HEADERS:
            continue
        name = HEADER_TO_FIELD.get(key)
        if name is None:
            problems.append(_header_problem(row, cell, f"未知列 '{cell}' / unknown column '{cell}'"))
        elif name in found:
            problems.append(_header_problem(row, cell, f"列 '{cell}' 重复 / column '{cell}' appears twice"))
        else:
            found[name] = index
    for name in REQUIRED_FIELDS:
        if name not in found:
            label = FIELD_LABELS[name]
            problems.append(_header_problem(row, label, f"缺少列 '{label}' / missing column '{name}'"))
    if problems:
        raise ValidationFailed(
            "表头不正确：应为 指标编码, 分子, 分母, 备注（或 indicator, numerator, denominator, comment）/ "
            "bad header row: expected indicator, numerator, denominator, comment",
            problems=problems,
        )
    return found


def _header_problem(row: int, column: Any, text: str) -> dict:
    return {"row": row, "column": str(column), "problem": f"第 {row} 行表头 / header row {row}: {text}"}
