"""Exports: formulas neutralised, numbers untouched."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from services.benchmark.exports import neutralise, to_csv, to_xlsx

ROWS = [{"name": "=1+2", "other": "+cmd", "at": "@SUM(A1)", "dash": "-2+3", "z": -3.2, "ok": "医院"}]
COLUMNS = ("name", "other", "at", "dash", "z", "ok")


def test_neutralise_prefixes_formula_leads_only_in_text():
    assert [neutralise(v) for v in ("=A1", "+1", "-1", "@x", "\t=x", "ok")] == [
        "'=A1",
        "'+1",
        "'-1",
        "'@x",
        "'\t=x",
        "ok",
    ]
    assert neutralise(-3.2) == -3.2 and neutralise(None) is None


def test_csv_and_xlsx_carry_no_formula():
    rows = list(csv.reader(io.StringIO(to_csv(ROWS, COLUMNS).decode("utf-8-sig"))))
    assert rows[1] == ["'=1+2", "'+cmd", "'@SUM(A1)", "'-2+3", "-3.2", "医院"]
    sheet = load_workbook(io.BytesIO(to_xlsx(ROWS, COLUMNS))).active
    values = [c.value for c in sheet[2]]
    assert values == ["'=1+2", "'+cmd", "'@SUM(A1)", "'-2+3", -3.2, "医院"]
    assert all(c.data_type != "f" for c in sheet[2])
