"""Builders for the file and FHIR adapter tests (pure: no database)."""

from __future__ import annotations

import copy
import io
import zipfile

from openpyxl import load_workbook

from services.core.quarter import Quarter
from services.submission.fhir import POPULATION_SYSTEM, fhir_settings
from services.submission.io_common import TemplateIndicator, TemplateMeta
from services.submission.io_template import xlsx_template

Q = Quarter(2023, 2)
META = TemplateMeta(7, Q, 2023)
INDICATORS = [
    TemplateIndicator("NIT-2023-I.1", "急性 STEMI 再灌注治疗率", "=再灌注患者数", "STEMI 患者总数", "%"),
    TemplateIndicator("NIT-2023-I.2", "指标二", "分子二", "分母二", "‰"),
    TemplateIndicator("NIT-2023-II.1", "指标三", "分子三", "分母三", "%"),
]
CREDIT = "91330100MA27XYZ12X"


def template(meta: TemplateMeta = META) -> bytes:
    return xlsx_template(meta, INDICATORS, hospital_name="测试医院")


def filled(cells: dict[str, object], data: bytes | None = None, formula_cells: tuple[str, ...] = ()) -> bytes:
    """The template with ``cells`` (e.g. {"F4": 3}) written by openpyxl, as a person would."""
    wb = load_workbook(io.BytesIO(data or template()))
    ws = wb["上报数据"]
    for ref, value in cells.items():
        ws[ref] = value
        if isinstance(value, str) and ref not in formula_cells:
            ws[ref].data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(
    data: bytes,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """The workbook with members replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", compression) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def population(code: str, count: object) -> dict:
    return {"code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]}, "count": count}


def report(
    code: str = "NIT-2023-I.1",
    num: object = 3,
    den: object = 10,
    *,
    start: str = "2023-04-01",
    end: str = "2023-06-30",
    credit: str = CREDIT,
) -> dict:
    base = fhir_settings().base
    return {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": f"{base}/Measure/{code}",
        "reporter": {"identifier": {"system": fhir_settings().uscc_system, "value": credit}},
        "period": {"start": start, "end": end},
        "group": [{"population": [population("numerator", num), population("denominator", den)]}],
    }


def bundle(*reports: dict, kind: str = "collection") -> dict:
    entries = []
    for r in reports:
        entry = {"resource": copy.deepcopy(r)}
        if kind != "collection":
            entry["request"] = {"method": "POST", "url": "MeasureReport"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}
