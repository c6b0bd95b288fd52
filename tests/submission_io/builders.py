"""Builders for the file and FHIR adapter tests (pure: no database)."""

from __future__ import annotations

import copy
import io
import re
import struct
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


# --- damaged and hostile workbooks, built byte by byte --------------------------------------------

SHEET = "xl/worksheets/sheet1.xml"


def flip_byte(data: bytes, name: str, needle: bytes = b"<sheetData") -> bytes:
    """The workbook re-stored without compression with one byte of ``name`` changed (a bad CRC)."""
    stored = rezip(data, compression=zipfile.ZIP_STORED)
    at = stored.index(needle, stored.index(name.encode())) + 3
    return stored[:at] + bytes([stored[at] ^ 0x20]) + stored[at + 1 :]


def lie_about_sizes(
    data: bytes, name: str, *, file_size: int | None = None, compress_size: int | None = None
) -> bytes:
    """``name``'s sizes rewritten in its local header and central directory entry."""
    out, encoded = bytearray(data), name.encode()
    for signature, name_len_at, name_at, csize_at in (
        (b"PK\x03\x04", 26, 30, 18),
        (b"PK\x01\x02", 28, 46, 20),
    ):
        at = out.index(signature)
        while (
            bytes(out[at + name_at : at + name_at + struct.unpack_from("<H", out, at + name_len_at)[0]])
            != encoded
        ):
            at = out.index(signature, at + 4)
        if compress_size is not None:
            struct.pack_into("<I", out, at + csize_at, compress_size)
        if file_size is not None:
            struct.pack_into("<I", out, at + csize_at + 4, file_size)
    return bytes(out)


def with_number_cell(data: bytes, ref: str, text: str) -> bytes:
    """The workbook with the number cell ``ref`` holding ``text`` as written in the XML (e.g. NaN)."""
    sheet = member(data, SHEET).decode()
    changed = re.sub(rf'(<c r="{ref}"[^>]*>)<v>[^<]*</v>', rf"\g<1><v>{text}</v>", sheet, count=1)
    assert changed != sheet, ref
    return rezip(data, {SHEET: changed.encode()})


def encrypted_workbook(payload: bytes = b"\x00" * 1024) -> bytes:
    """A password-protected .xlsx as Office writes it: a compound file (OLE) holding the streams
    EncryptionInfo and EncryptedPackage instead of a zip (MS-OFFCRYPTO); the payload is opaque."""
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIII", header, 0x2C, 1, 1, 0, 4096, end, 0, end)
    struct.pack_into("<I", header, 0x44, end)
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, end, *([free] * 126))

    def entry(name: str, kind: int, child: int = free, right: int = free, size: int = 0) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBBIII", raw, 0x40, len(encoded), kind, 1, free, right, child)
        struct.pack_into("<IQ", raw, 0x74, end, size)
        return bytes(raw)

    directory = (
        entry("Root Entry", 5, child=1)
        + entry("EncryptionInfo", 2, right=2, size=200)
        + entry("EncryptedPackage", 2, size=len(payload))
        + entry("\x06DataSpaces", 1)
    )
    return bytes(header) + fat + directory + payload
