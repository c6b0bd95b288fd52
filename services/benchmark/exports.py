"""CSV and XLSX exports of benchmark and laggard tables.

Any text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return, which some
spreadsheets also treat as a formula lead) is prefixed with an apostrophe, so no formula can run
when the file is opened (OWASP "CSV injection"). Numbers stay numbers, so negative z-scores and
changes are not touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def _cells(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterable[list[Any]]:
    for row in rows:
        yield [neutralise(row.get(c)) for c in columns]


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for cells in _cells(rows, columns):
        writer.writerow(["" if c is None else str(c).lower() if isinstance(c, bool) else c for c in cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    *,
    sheet: str = "benchmark",
    meta: dict[str, Any] | None = None,
) -> bytes:
    workbook = Workbook()
    ws = workbook.active
    assert isinstance(ws, Worksheet)  # a new workbook has one worksheet
    ws.title = sheet[:31]
    ws.append(list(columns))
    for cells in _cells(rows, columns):
        ws.append(cells)
    if meta:
        info = workbook.create_sheet("说明 about")
        for key, value in meta.items():
            info.append(
                [
                    key,
                    neutralise(
                        value if isinstance(value, (int, float, bool)) or value is None else str(value)
                    ),
                ]
            )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    *,
    sheet: str,
    meta: dict[str, Any] | None = None,
) -> tuple[bytes, str]:
    if fmt == "csv":
        return to_csv(rows, columns), CSV_MEDIA_TYPE
    return to_xlsx(rows, columns, sheet=sheet, meta=meta), XLSX_MEDIA_TYPE
