"""XLSX template and safe parsing: protection, metadata, zip bombs, XXE, formulas, round trip."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.submission.io_common import (
    FileTooLarge,
    FileUnreadable,
    ParsedRow,
    TemplateMeta,
    TemplateMismatch,
    UnsafeFile,
    UnsupportedFileType,
    UploadSettings,
    to_values,
)
from services.submission.io_service import detect_kind
from services.submission.io_xlsx import parse_xlsx
from tests.submission_io.builders import (
    META,
    SHEET,
    encrypted_workbook,
    filled,
    flip_byte,
    lie_about_sizes,
    member,
    rezip,
    template,
    with_number_cell,
)

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&e;</t></si></sst>'
)


def test_template_locks_everything_but_the_input_cells() -> None:
    wb = load_workbook(io.BytesIO(template()))
    ws = wb["上报数据"]
    assert ws.protection.sheet is True
    assert [c.value for c in ws[3]] == [
        "指标编码",
        "指标名称",
        "分子定义",
        "分母定义",
        "单位",
        "分子",
        "分母",
        "备注",
    ]
    assert [ws[f"{c}4"].protection.locked for c in "ABCDEFGH"] == [True] * 5 + [False] * 3
    assert ws["C4"].value == "=再灌注患者数" and ws["C4"].data_type == "s"  # text, never a formula
    ranges = {str(dv.sqref): dv.type for dv in ws.data_validations.dataValidation}
    assert ranges == {"F4:G6": "whole", "H4:H6": "textLength"}
    assert wb["_qcp"].sheet_state == "veryHidden"
    assert wb.security.lockStructure


def test_template_round_trip_gives_the_typed_values() -> None:
    data = filled({"F4": 3, "G4": 10, "H4": "=cmd|' /C calc'!A0", "F6": 0, "G6": 0})
    rows = parse_xlsx(data, expected=META)
    assert rows == [
        ParsedRow(4, "NIT-2023-I.1", 3, 10, "=cmd|' /C calc'!A0"),
        ParsedRow(6, "NIT-2023-II.1", 0, 0, None),
    ]
    assert [v.model_dump() for v in to_values(rows)][1] == {
        "indicator": "NIT-2023-II.1",
        "numerator": 0,
        "denominator": 0,
        "comment": None,
    }


def test_accepts_whole_numbers_typed_as_text_or_float() -> None:
    rows = parse_xlsx(filled({"F4": "12", "G4": 20.0}), expected=META)
    assert (rows[0].numerator, rows[0].denominator) == (12, 20)


def test_names_the_cell_of_each_bad_value() -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_xlsx(filled({"F4": 2.5, "G4": 10, "F5": "十", "G5": 3}), expected=META)
    assert [(p["cell"], p["code"]) for p in err.value.problems] == [
        ("F4", "not_a_count"),
        ("F5", "not_a_count"),
    ]
    assert err.value.problems[0]["problem"].startswith("第 4 行 分子（F4）: '2.5' 不是非负整数")


def test_refuses_a_formula_cell_naming_it() -> None:
    data = filled({"F4": "=1+2", "G4": 10}, formula_cells=("F4",))
    with pytest.raises(FileUnreadable) as err:
        parse_xlsx(data, expected=META)
    assert [p["cell"] for p in err.value.problems] == ["上报数据!F4"]


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        (TemplateMeta(8, Quarter(2023, 2), 2023), "hospital_id"),
        (TemplateMeta(7, Quarter(2023, 3), 2023), "quarter"),
    ],
    ids=["hospital", "quarter"],
)
def test_refuses_a_template_made_for_another_hospital_or_quarter(meta: TemplateMeta, field: str) -> None:
    with pytest.raises(TemplateMismatch) as err:
        parse_xlsx(filled({"F4": 1, "G4": 2}), expected=meta)
    assert [p["field"] for p in err.value.problems] == [field]


def test_refuses_a_zip_bomb_by_compression_ratio() -> None:
    bomb = rezip(template(), add={"xl/worksheets/sheet9.xml": b" " * (8 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(UnsafeFile) as err:
        parse_xlsx(bomb)
    assert "xl/worksheets/sheet9.xml" in err.value.detail and "zip bomb" in err.value.detail


def test_refuses_a_workbook_too_large_when_unpacked() -> None:
    limits = UploadSettings(max_uncompressed_bytes=20_000)
    with pytest.raises(UnsafeFile, match="unpacked size"):
        parse_xlsx(template(), limits=limits)


def test_refuses_an_external_entity_declaration() -> None:
    data = rezip(template(), add={"xl/sharedStrings.xml": XXE})
    with pytest.raises(UnsafeFile, match="DTD"):
        parse_xlsx(data)


def test_refuses_entity_expansion_in_a_worksheet() -> None:
    sheet = member(template(), "xl/worksheets/sheet1.xml")
    laughs = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    data = rezip(template(), replace={"xl/worksheets/sheet1.xml": laughs + sheet.split(b"?>", 1)[-1]})
    with pytest.raises(UnsafeFile) as err:
        parse_xlsx(data)
    assert err.value.problems[0]["member"] == "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize("name", ["xl/vbaProject.bin", "xl/externalLinks/externalLink1.xml", "../../etc/x"])
def test_refuses_unexpected_members(name: str) -> None:
    with pytest.raises(UnsafeFile) as err:
        parse_xlsx(rezip(template(), add={name: b"<x/>"}))
    assert err.value.problems[0]["member"] == name


def test_refuses_bytes_that_are_not_a_workbook() -> None:
    with pytest.raises(FileUnreadable, match="not a valid XLSX"):
        parse_xlsx(b"PK\x03\x04 not really a zip")


def test_refuses_a_workbook_over_the_size_limit() -> None:
    with pytest.raises(FileTooLarge):
        parse_xlsx(template(), limits=UploadSettings(max_bytes=1000))


def test_reads_a_plain_workbook_without_template_metadata() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["indicator", "numerator", "denominator"])
    ws.append(["NIT-2023-I.1", 4, 9])
    out = io.BytesIO()
    wb.save(out)
    assert parse_xlsx(out.getvalue(), expected=META) == [ParsedRow(2, "NIT-2023-I.1", 4, 9, None)]
    assert zipfile.is_zipfile(io.BytesIO(out.getvalue()))


GOOD = {"F4": 3, "G4": 10}


@pytest.mark.parametrize(
    ("name", "needle"),
    [(SHEET, b"<sheetData"), ("xl/styles.xml", b"<fonts"), ("docProps/app.xml", b"Application")],
    ids=["sheet", "styles", "doc-props"],
)
def test_refuses_a_member_with_a_bad_crc_as_a_damaged_workbook(name: str, needle: bytes) -> None:
    data = flip_byte(filled(GOOD), name, needle)
    with pytest.raises(FileUnreadable) as err:
        parse_xlsx(data)
    assert err.value.problems[0]["code"] == "damaged_archive" and err.value.problems[0]["member"] == name
    assert "damaged" in err.value.detail and "损坏" in err.value.detail and "CRC" in err.value.detail


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED], ids=["deflated", "stored"]
)
@pytest.mark.parametrize(
    "sizes",
    [
        lambda real: {"file_size": 100},  # smaller than the content
        lambda real: {"file_size": real + 5000},  # larger, within every limit
        lambda real: {"compress_size": 50},  # the packed size cut short
    ],
    ids=["smaller", "larger", "packed-smaller"],
)
def test_refuses_a_member_whose_declared_sizes_lie_as_damaged(compression: int, sizes) -> None:
    data = rezip(filled(GOOD), compression=compression)
    lied = lie_about_sizes(data, SHEET, **sizes(len(member(data, SHEET))))
    with pytest.raises(FileUnreadable) as err:
        parse_xlsx(lied)
    assert err.value.problems[0]["code"] == "damaged_archive" and SHEET in err.value.detail
    assert "zip bomb" not in err.value.detail and "legacy" not in err.value.detail


def test_a_member_declaring_gigabytes_is_refused_unread_for_its_declared_size() -> None:
    lied = lie_about_sizes(filled(GOOD), SHEET, file_size=3_000_000_000)
    with pytest.raises(UnsafeFile) as err:
        parse_xlsx(lied)
    assert err.value.problems[0]["code"] == "unpacked_too_large"
    assert "declares 3000000000 bytes" in err.value.detail and "zip bomb" not in err.value.detail


@pytest.mark.parametrize("text", ["NaN", "nan", "Infinity", "-Infinity", "inf", "1E400", "#N/A"])
def test_refuses_a_number_cell_holding_nan_or_infinity_naming_the_cell(text: str) -> None:
    data = with_number_cell(filled(GOOD), "F4", text)
    with pytest.raises(FileUnreadable) as err:
        parse_xlsx(data)
    [problem] = err.value.problems
    assert (problem["code"], problem["cell"], problem["value"]) == (
        "not_a_finite_number",
        "上报数据!F4",
        text,
    )
    assert "上报数据!F4" in err.value.detail and "not finite" in err.value.detail


def test_lists_every_non_finite_cell_at_once() -> None:
    data = with_number_cell(with_number_cell(filled(GOOD), "F4", "NaN"), "G4", "Infinity")
    with pytest.raises(FileUnreadable) as err:
        parse_xlsx(data)
    assert [p["cell"] for p in err.value.problems] == ["上报数据!F4", "上报数据!G4"]


def test_a_long_comment_is_not_mistaken_for_a_zip_bomb() -> None:
    text = "备注很长" * 200_000  # 2.4 MB that packs about 500:1
    comments = (
        '<?xml version="1.0"?><comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<authors><author>a</author></authors><commentList><comment ref="H4" authorId="0"><text><t>'
        f"{text}</t></text></comment></commentList></comments>"
    ).encode()
    data = rezip(filled(GOOD), add={"xl/comments1.xml": comments})
    assert parse_xlsx(data) == [ParsedRow(4, "NIT-2023-I.1", 3, 10, None)]
    assert parse_xlsx(filled({**GOOD, "H4": "很长的备注" * 6000}))[0].comment == "很长的备注" * 6000


def test_a_zip_archive_comment_is_harmless() -> None:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(filled(GOOD))) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.comment = b"x" * 65535
    assert parse_xlsx(out.getvalue()) == [ParsedRow(4, "NIT-2023-I.1", 3, 10, None)]


@pytest.mark.parametrize(
    ("media", "name"),
    [
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "data.xlsx"),
        ("application/octet-stream", "data.xlsx"),
        ("application/vnd.ms-excel", "data.xls"),
    ],
)
def test_a_password_protected_workbook_is_refused_as_encrypted_not_as_legacy_xls(
    media: str, name: str
) -> None:
    with pytest.raises(FileUnreadable) as err:
        detect_kind(media, name, encrypted_workbook())
    assert err.value.problems == [{"code": "password_protected"}] and err.value.status == 422
    assert "password" in err.value.detail and "密码" in err.value.detail and "legacy" not in err.value.detail


def test_a_legacy_xls_is_still_refused_as_legacy() -> None:
    legacy = encrypted_workbook().replace(
        "EncryptedPackage".encode("utf-16-le"), "Workbook".encode("utf-16-le").ljust(32, b"\0")
    )
    with pytest.raises(UnsupportedFileType, match="legacy .xls"):
        detect_kind("application/vnd.ms-excel", "a.xls", legacy)
