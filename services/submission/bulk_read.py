"""Reading a bulk upload file (CSV, XLSX, JSON lines) straight into a COPY stream.

Each data row becomes one staging row of text cells: ``(row, hospital, quarter, indicator,
numerator, denominator, comment, note_code, note)``. Nothing is checked here beyond what only the
file knows (headers, encoding, quoting, extra cells, unreadable JSON); every submission rule is
checked set-based in SQL afterwards (``bulk_checks``). Rows are never collected in Python lists:
memory stays bounded whatever the file size (XLSX excepted: a workbook is a zip that is inspected
whole, so its size has its own, smaller limit).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, Protocol

from services.core.errors import ValidationFailed
from services.submission.io_common import FileUnreadable, UploadSettings, is_blank
from services.submission.io_headers import HEADER_TO_FIELD, REFERENCE_HEADERS, normalise_header

STAGE_COLUMNS = (
    "row_no",
    "hospital",
    "quarter",
    "indicator",
    "numerator",
    "denominator",
    "comment",
    "note_code",
    "note",
)
BULK_FIELDS = ("hospital", "quarter", "indicator", "numerator", "denominator", "comment")
BULK_REQUIRED = ("hospital", "indicator", "numerator", "denominator")
BULK_LABELS = {
    "hospital": "医院编号",
    "quarter": "季度",
    "indicator": "指标编码",
    "numerator": "分子",
    "denominator": "分母",
    "comment": "备注",
}
_EXTRA_ALIASES = {
    "hospital": (
        "医院编号",
        "医院代码",
        "统一社会信用代码",
        "医院",
        "hospital",
        "hospital_id",
        "hospital_code",
        "credit_code",
    ),
    "quarter": ("季度", "quarter"),
}
BULK_HEADERS = {
    **HEADER_TO_FIELD,
    **{alias: name for name, aliases in _EXTRA_ALIASES.items() for alias in aliases},
}
BULK_REFERENCE = REFERENCE_HEADERS | {"医院名称", "hospital_name", "目标年度", "catalog_year"}
JSON_KEYS = {
    "hospital": "hospital",
    "hospital_id": "hospital",
    "credit_code": "hospital",
    "quarter": "quarter",
    "indicator": "indicator",
    "numerator": "numerator",
    "denominator": "denominator",
    "comment": "comment",
}
PROGRESS_EVERY = 50_000  # rows between progress reports
Progress = Callable[[int, int], None]  # (bytes read, rows read)


class RowSink(Protocol):
    def write_row(self, row: Sequence[Any]) -> None: ...


def _header_problem(row: int, column: str, code: str, zh: str, en: str) -> dict[str, Any]:
    return {
        "row": row,
        "column": column,
        "code": code,
        "problem": f"第 {row} 行表头 / header row {row}: {zh} / {en}",
    }


def map_bulk_headers(cells: Sequence[Any], *, row: int) -> dict[str, int]:
    """Column index of every bulk field; raises listing every unknown, duplicate or missing header."""
    found: dict[str, int] = {}
    problems: list[dict[str, Any]] = []
    for index, cell in enumerate(cells):
        key = normalise_header(cell)
        if not key or key in BULK_REFERENCE:
            continue
        name = BULK_HEADERS.get(key)
        if name is None:
            problems.append(
                _header_problem(
                    row, str(cell), "unknown_column", f"未知列 '{cell}'", f"unknown column '{cell}'"
                )
            )
        elif name in found:
            problems.append(
                _header_problem(
                    row, str(cell), "duplicate_column", f"列 '{cell}' 重复", f"column '{cell}' appears twice"
                )
            )
        else:
            found[name] = index
    for name in BULK_REQUIRED:
        if name not in found:
            label = BULK_LABELS[name]
            problems.append(
                _header_problem(row, label, "missing_column", f"缺少列 '{label}'", f"missing column '{name}'")
            )
    if problems:
        raise ValidationFailed(
            "表头不正确：应为 医院编号, 季度（可选）, 指标编码, 分子, 分母, 备注（可选）/ bad header row: expected "
            "hospital, quarter (optional), indicator, numerator, denominator, comment (optional)",
            problems=problems,
        )
    return found


def _cell(value: Any) -> str | None:
    """A cell as staged text: None for blank; integral floats (XLSX numbers) without '.0'."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def _stage(
    sink: RowSink, number: int, cells: Sequence[Any], columns: dict[str, int], note: tuple[str, str] | None
) -> bool:
    """Write one data row; False (nothing written) for a row whose values are all blank."""
    values = [
        _cell(cells[columns[f]]) if f in columns and columns[f] < len(cells) else None for f in BULK_FIELDS
    ]
    if values[3] is None and values[4] is None and values[5] is None and note is None:
        return False  # numerator, denominator and comment blank: a template row left empty
    sink.write_row((number, *values, *(note or (None, None))))
    return True


def _extra(cells: Sequence[Any], width: int) -> tuple[str, str] | None:
    extra = [c for c in cells[width:] if not is_blank(c)]
    if not extra:
        return None
    shown = str(extra[0])[:40]
    return (
        "too_many_fields",
        f"该行有 {len(cells)} 个字段，表头只有 {width} 个（多出“{shown}”），请删除多余单元格或给含逗号的文本加双引号 / "
        f"the row has {len(cells)} fields but the header has {width} (extra: {shown!r}): remove the extra "
        "cells or quote text that contains commas",
    )


# --- CSV ---------------------------------------------------------------------------------------


def _csv_encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileUnreadable(
            "不支持 UTF-16 编码的文件，请另存为“CSV UTF-8” / UTF-16 files are not supported: save as 'CSV UTF-8'",
            problems=[{"code": "utf16"}],
        )
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _csv_records(text: IO[str]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(text, strict=True)
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileUnreadable(
                f"第 {number + 1} 条记录（第 {reader.line_num} 行）CSV 格式错误：{exc}；请检查双引号 / record "
                f"{number + 1} (line {reader.line_num}) is not valid CSV ({exc}): check the double quotes",
                problems=[{"code": "malformed_csv", "row": number + 1, "line": reader.line_num}],
            ) from None
        except UnicodeDecodeError as exc:
            raise FileUnreadable(
                f"第 {reader.line_num + 1} 行附近有无法解码的字节（{exc.reason}）；请另存为“CSV UTF-8” / undecodable "
                f"bytes near line {reader.line_num + 1} ({exc.reason}): save the file as 'CSV UTF-8'",
                problems=[{"code": "undecodable", "line": reader.line_num + 1}],
            ) from None
        number += 1
        yield number, record


def stream_csv(raw: IO[bytes], sink: RowSink, progress: Progress) -> int:
    """Stage every data row of a CSV file; returns the number of rows staged."""
    encoding = _csv_encoding(raw.read(65536))
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
    columns: dict[str, int] | None = None
    width = staged = 0
    pick: Callable[[list[str]], tuple[str, ...]] = operator.itemgetter(0)
    for number, record in _csv_records(text):
        if columns is None:
            if not any(c.strip() for c in record) or record[0].strip().upper() == "#QCP":
                continue
            columns, width = map_bulk_headers(record, row=number), len(record)
            # the row's cells in BULK_FIELDS order; a field the header lacks reads the '' appended at
            # ``width`` (CSV cells are text: the same as ``_stage``, at C speed for a national file)
            pick = operator.itemgetter(*(columns.get(f, width) for f in BULK_FIELDS))
            continue
        size = len(record)
        note = _extra(record, width) if size > width else None
        if size < width:
            record += [""] * (width - size)
        elif size > width:
            del record[width:]
        record.append("")
        values = [c if c and not c.isspace() else None for c in pick(record)]
        if values[3] is None and values[4] is None and values[5] is None and note is None:
            continue  # numerator, denominator and comment blank: a template row left empty
        sink.write_row((number, *values, *(note or (None, None))))
        staged += 1
        if staged % PROGRESS_EVERY == 0:
            progress(raw.tell(), staged)
    if columns is None:
        raise FileUnreadable(
            "文件没有表头和数据行 / the file has no header row and no data", problems=[{"code": "no_header"}]
        )
    text.detach()
    return staged


# --- JSON lines --------------------------------------------------------------------------------


def _json_row(line: bytes) -> tuple[list[Any], tuple[str, str] | None]:
    try:
        item = json.loads(line)
    except ValueError as exc:
        return [None] * 6, ("bad_json", f"不是有效的 JSON（{exc}）/ not valid JSON ({exc})")
    if not isinstance(item, dict):
        return [None] * 6, ("bad_json", "每行须为一个 JSON 对象 / each line must be one JSON object")
    unknown = sorted(k for k in item if k not in JSON_KEYS)
    cells: list[Any] = [None] * 6
    for key, value in item.items():
        if key in JSON_KEYS:
            cells[BULK_FIELDS.index(JSON_KEYS[key])] = value
    if unknown:
        return cells, (
            "unknown_field",
            f"未知字段 {', '.join(unknown)} / unknown field(s) {', '.join(unknown)}",
        )
    return cells, None


def stream_jsonl(raw: IO[bytes], sink: RowSink, progress: Progress) -> int:
    columns = {name: i for i, name in enumerate(BULK_FIELDS)}
    staged = 0
    for number, line in enumerate(raw, start=1):
        if not line.strip():
            continue
        cells, note = _json_row(line)
        if isinstance(cells[3], (bool, float)) or isinstance(cells[4], (bool, float)):
            note = note or (
                "not_a_count",
                "分子、分母须为 JSON 整数 / numerator and denominator must be JSON integers",
            )
        if _stage(sink, number, cells, columns, note):
            staged += 1
            if staged % PROGRESS_EVERY == 0:
                progress(raw.tell(), staged)
    return staged


# --- XLSX --------------------------------------------------------------------------------------


def stream_xlsx(raw: IO[bytes], sink: RowSink, progress: Progress, limits: UploadSettings) -> int:
    from services.submission.io_xlsx import _data_sheet, _open, inspect_xlsx

    data = raw.read()
    inspect_xlsx(data, limits)
    wb = _open(data)
    try:
        columns: dict[str, int] | None = None
        staged = 0
        for number, cells in enumerate(_data_sheet(wb).iter_rows(values_only=True), start=1):
            if columns is None:
                if number > 20:
                    break
                names = {BULK_HEADERS.get(normalise_header(c)) for c in cells}
                if set(BULK_REQUIRED) <= names:
                    columns = map_bulk_headers(list(cells), row=number)
                continue
            if _stage(sink, number, cells, columns, None):
                staged += 1
                if staged % PROGRESS_EVERY == 0:
                    progress(len(data), staged)
    finally:
        wb.close()
    if columns is None:
        raise FileUnreadable(
            "前 20 行中没有表头（医院编号、指标编码、分子、分母）/ no header row (hospital, indicator, numerator, "
            "denominator) in the first 20 rows",
            problems=[{"code": "no_header"}],
        )
    return staged
