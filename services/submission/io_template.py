"""The downloadable XLSX template for one hospital and quarter.

Layout (sheet ``上报数据``): a title row naming the hospital, quarter and catalog year, an
instruction row, the header row (``TEMPLATE_HEADERS``), then one row per required indicator.
Only 分子 / 分母 / 备注 cells are unlocked; the sheet is protected so the layout stays intact
(layout protection, not security: the parser re-checks everything). A very hidden sheet ``_qcp``
holds the hospital id, quarter and catalog year so an upload for another hospital or quarter is
refused.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from services.submission.io_common import (
    MAX_COUNT,
    TemplateIndicator,
    TemplateMeta,
    meta_pairs,
)
from services.submission.io_headers import TEMPLATE_HEADERS
from services.submission.io_xlsx import DATA_SHEET, META_SHEET

HEADER_ROW = 3
INPUT_COLUMNS = ("F", "G", "H")  # 分子, 分母, 备注
_WIDTHS = {"A": 20, "B": 36, "C": 48, "D": 48, "E": 10, "F": 12, "G": 12, "H": 32}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")
_WRAP = Alignment(wrap_text=True, vertical="top")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _put(ws: Any, ref: str, value: Any) -> Any:
    """Write a value; text stays text even when it starts with '=' (never becomes a formula)."""
    cell = ws[ref]
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _title_rows(ws: Any, meta: TemplateMeta, hospital_name: str) -> None:
    year = meta.catalog_year if meta.catalog_year is not None else "—"
    _put(
        ws,
        "A1",
        f"{hospital_name}（医院编号 {meta.hospital_id}）{meta.quarter} 质控指标上报 · 目标年度 {year}"
        f" / QCP submission template: hospital {meta.hospital_id}, {meta.quarter}, catalog {year}",
    )
    _put(
        ws,
        "A2",
        "只填写 分子、分母（非负整数）和 备注 三列；其他单元格受保护。请勿修改表头或指标编码。"
        " / Fill in only numerator and denominator (non-negative integers) and comment; "
        "other cells are protected. Do not edit the header or the indicator codes.",
    )
    ws.merge_cells("A1:H1")
    ws.merge_cells("A2:H2")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"].alignment = _WRAP
    ws.row_dimensions[2].height = 32
    for col, header in zip("ABCDEFGH", TEMPLATE_HEADERS, strict=True):
        cell = _put(ws, f"{col}{HEADER_ROW}", header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for col, width in _WIDTHS.items():
        ws.column_dimensions[col].width = width


def _indicator_rows(ws: Any, indicators: list[TemplateIndicator]) -> int:
    row = HEADER_ROW
    for row, item in enumerate(indicators, start=HEADER_ROW + 1):
        cells = (item.code, item.name, item.numerator, item.denominator, item.unit)
        for col, value in zip("ABCDE", cells, strict=True):
            _put(ws, f"{col}{row}", value).alignment = _WRAP
        for col, reported in zip(INPUT_COLUMNS, item.reported_cells(), strict=True):
            cell = ws[f"{col}{row}"] if reported == "" else _put(ws, f"{col}{row}", reported)
            cell.protection = Protection(locked=False)
            cell.fill = _INPUT_FILL
    return row


def _validations(ws: Any, last_row: int) -> None:
    if last_row <= HEADER_ROW:
        return
    counts = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2=str(MAX_COUNT),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="请输入非负整数 / non-negative integer",
        error="分子、分母必须是非负整数 / numerator and denominator must be non-negative integers",
    )
    counts.add(f"F{HEADER_ROW + 1}:G{last_row}")
    comments = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1="500",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="备注过长 / comment too long",
        error="备注不超过 500 字 / at most 500 characters",
    )
    comments.add(f"H{HEADER_ROW + 1}:H{last_row}")
    ws.add_data_validation(counts)
    ws.add_data_validation(comments)


def _meta_sheet(wb: Workbook, meta: TemplateMeta) -> None:
    ws = wb.create_sheet(META_SHEET)
    _put(ws, "A1", "qcp-template")
    _put(ws, "B1", "1")
    for row, (key, value) in enumerate(meta_pairs(meta), start=2):
        _put(ws, f"A{row}", key)
        _put(ws, f"B{row}", value)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


def xlsx_template(meta: TemplateMeta, indicators: list[TemplateIndicator], *, hospital_name: str) -> bytes:
    """The XLSX template as bytes."""
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook has one worksheet
    ws.title = DATA_SHEET
    _title_rows(ws, meta, hospital_name)
    last_row = _indicator_rows(ws, indicators)
    _validations(ws, last_row)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # people may still widen columns
    ws.protection.formatRows = False
    _meta_sheet(wb, meta)
    wb.security = WorkbookProtection(lockStructure=True)  # no unhiding, renaming or adding sheets
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
