"""CSV parsing: encodings, headers, row-numbered problems, formula-looking text, size limits."""

from __future__ import annotations

import codecs

import pytest

from services.core.errors import ValidationFailed
from services.submission.io_common import (
    FileTooLarge,
    FileUnreadable,
    ParsedRow,
    TemplateMismatch,
    spreadsheet_safe,
    to_values,
)
from services.submission.io_csv import csv_template, decode_csv, parse_csv
from tests.submission_io.builders import INDICATORS, META, Q

ZH = "指标编码,分子,分母,备注\r\nNIT-2023-I.1,3,10,含日间手术\r\nNIT-2023-I.2,0,0,\r\n"
EXPECTED = [
    ParsedRow(2, "NIT-2023-I.1", 3, 10, "含日间手术"),
    ParsedRow(3, "NIT-2023-I.2", 0, 0, None),
]


@pytest.mark.parametrize(
    "data",
    [ZH.encode("utf-8"), codecs.BOM_UTF8 + ZH.encode("utf-8"), ZH.encode("gb18030")],
    ids=["utf8", "utf8-bom", "gb18030"],
)
def test_reads_utf8_with_or_without_bom_and_gb18030(data: bytes) -> None:
    assert parse_csv(data) == EXPECTED


def test_accepts_english_headers_in_any_order_and_case() -> None:
    data = b"Comment,Denominator,numerator,Indicator\nok,10,3,NIT-2023-I.1\n"
    assert parse_csv(data) == [ParsedRow(2, "NIT-2023-I.1", 3, 10, "ok")]


def test_ignores_the_reference_columns_of_the_template() -> None:
    data = "指标编码,指标名称,分子定义,分母定义,单位,分子,分母,备注\nNIT-2023-I.1,名称,定义,定义,%,1,2,\n"
    assert parse_csv(data.encode()) == [ParsedRow(2, "NIT-2023-I.1", 1, 2, None)]


def test_refuses_undecodable_bytes_naming_line_and_offset() -> None:
    data = "指标编码,分子,分母\n".encode() + b"NIT-2023-I.1,1,2\n\xff\xfe\n"
    with pytest.raises(FileUnreadable) as err:
        parse_csv(data)
    assert err.value.problems == [
        {"code": "undecodable", "line": 3, "offset": len(data) - 3, "encoding": "UTF-8"}
    ]
    assert "第 3 行" in err.value.detail and "0xFF" in err.value.detail


def test_refuses_a_bad_byte_in_a_gb18030_file_as_gb18030() -> None:
    data = "指标编码,分子,分母\n".encode("gb18030") + b"A,1,2\x81\n"
    with pytest.raises(FileUnreadable) as err:
        decode_csv(data)
    assert err.value.problems[0]["encoding"] == "GB18030"
    assert err.value.problems[0]["line"] == 2


def test_refuses_utf16_with_a_clear_message() -> None:
    with pytest.raises(FileUnreadable, match="UTF-16"):
        parse_csv(ZH.encode("utf-16"))


def test_reports_every_problem_at_once_with_row_and_column() -> None:
    data = "指标编码,分子,分母,备注\nA,abc,-1,\n,3,4,x\nB,1.5,2,\nA,1,2,\nB,1,,\n".encode()
    with pytest.raises(ValidationFailed) as err:
        parse_csv(data)
    got = [(p["row"], p["column"], p["code"]) for p in err.value.problems]
    assert got == [
        (2, "分子", "not_a_count"),
        (2, "分母", "not_a_count"),
        (3, "指标编码", "required"),
        (4, "分子", "not_a_count"),
        (6, "分母", "required"),
    ]
    assert err.value.problems[0]["problem"] == (
        "第 2 行 分子: 'abc' 不是非负整数 / row 2 numerator: 'abc' is not a non-negative integer"
    )


def test_refuses_a_repeated_indicator_naming_both_rows() -> None:
    data = b"indicator,numerator,denominator\nA,1,2\nA,3,4\n"
    with pytest.raises(ValidationFailed) as err:
        parse_csv(data)
    assert err.value.problems[0]["code"] == "duplicate_indicator"
    assert "与第 2 行重复" in err.value.problems[0]["problem"]


def test_skips_template_rows_left_blank() -> None:
    data = b"indicator,numerator,denominator,comment\nA,,,\nB,1,2,\n,,,\n"
    assert parse_csv(data) == [ParsedRow(3, "B", 1, 2, None)]


def test_stores_a_formula_looking_comment_as_plain_text() -> None:
    data = b'indicator,numerator,denominator,comment\nA,1,2,"=HYPERLINK(""http://x"",""y"")"\nB,1,2,@SUM(1)\n'
    rows = parse_csv(data)
    assert [r.comment for r in rows] == ['=HYPERLINK("http://x","y")', "@SUM(1)"]
    assert to_values(rows)[0].comment == '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@x", "\t=1"])
def test_exports_prefix_formula_looking_text_with_an_apostrophe(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe("正常备注") == "正常备注"
    assert spreadsheet_safe(12) == 12


def test_refuses_a_file_over_the_size_limit() -> None:
    with pytest.raises(FileTooLarge) as err:
        parse_csv(ZH.encode() + b" " * 100, max_bytes=100)
    assert err.value.status == 413


def test_template_round_trip_and_metadata_line() -> None:
    data = csv_template(META, INDICATORS)
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "#QCP,hospital=7,quarter=2023Q2,catalog=2023"
    assert "'=再灌注患者数" in text  # catalog text that looks like a formula is neutralised on the way out
    filled = text.replace("STEMI 患者总数,%,,,", "STEMI 患者总数,%,3,10,备注")
    assert parse_csv(filled.encode("utf-8-sig"), expected=META) == [
        ParsedRow(3, "NIT-2023-I.1", 3, 10, "备注")
    ]


def test_refuses_a_csv_template_made_for_another_hospital() -> None:
    data = csv_template(META, INDICATORS)
    other = type(META)(8, Q, 2023)
    with pytest.raises(TemplateMismatch) as err:
        parse_csv(data, expected=other)
    assert err.value.problems[0]["problem"] == "模板医院为 7，应为 8 / template hospital is 7, expected 8"


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"indicator,numerator,denominator\nA,1,2,99\n", [2]),  # a count shifted out of its column
        ("指标编码,分子,分母,备注\nA,1,2,备注,多出\nB,3,4,\n".encode(), [2]),
        (b"indicator,numerator,denominator,comment\nA,1,2,ok\nB,1,2,a,b\nC,1,2,c,d,e\n", [3, 4]),
        # an unquoted comma inside a comment: the text after it would be lost
        (b"indicator,numerator,denominator,comment\nA,1,2,first, second\n", [2]),
    ],
    ids=["count", "zh-comment", "two-rows", "unquoted-comma"],
)
def test_refuses_a_row_with_more_fields_than_the_header_naming_the_line(data: bytes, lines: list) -> None:
    with pytest.raises(FileUnreadable) as err:
        parse_csv(data)
    assert [(p["code"], p["line"]) for p in err.value.problems] == [("too_many_fields", n) for n in lines]
    assert f"第 {lines[0]}" in err.value.detail and f"line(s) {lines[0]}" in err.value.detail


def test_blank_cells_past_the_header_are_spreadsheet_padding_not_data() -> None:
    data = b"indicator,numerator,denominator\nA,1,2,,\nB,3,4, \n"
    assert parse_csv(data) == [ParsedRow(2, "A", 1, 2, None), ParsedRow(3, "B", 3, 4, None)]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'indicator,numerator,denominator,comment\nA,1,2,"never closed\nB,3,4,x\nC,5,6,y\n', 2),
        (b'indicator,numerator,denominator\nA,1,2\nB,3,"4\n', 3),
        ('指标编码,分子,分母,备注\nA,1,2,ok\nB,1,2,"备注\r\n'.encode("gb18030"), 3),
        (b'indicator,numerator,denominator,comment\nA,1,2,"closed"junk\n', 2),
    ],
    ids=["swallows-rows", "last-cell", "gb18030", "text-after-quote"],
)
def test_refuses_a_broken_quote_naming_the_line(data: bytes, line: int) -> None:
    with pytest.raises(FileUnreadable) as err:
        parse_csv(data)
    [problem] = err.value.problems
    assert problem["line"] == line and problem["code"] in ("unterminated_quote", "malformed_csv")
    assert f"第 {line} 行" in err.value.detail and f"line {line}" in err.value.detail


def test_a_quoted_multi_line_comment_is_still_accepted() -> None:
    data = b'indicator,numerator,denominator,comment\nA,1,2,"two\nlines"\nB,3,4,\n'
    assert parse_csv(data) == [ParsedRow(2, "A", 1, 2, "two\nlines"), ParsedRow(3, "B", 3, 4, None)]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (codecs.BOM_UTF8 + "指标编码,分子,分母,备注\n".encode("gb18030"), 1),
        (
            codecs.BOM_UTF8 + b"indicator,numerator,denominator,comment\n" + "A,1,2,国标\n".encode("gb18030"),
            2,
        ),
        (
            codecs.BOM_UTF8
            + "指标编码,分子,分母,备注\nA,1,2,中文\n".encode()
            + "B,1,2,国标编码\n".encode("gb18030"),
            3,
        ),
        ("指标编码,分子,分母,备注\n".encode() + "A,1,2,国标编码\n".encode("gb18030"), 2),
    ],
    ids=["bom-then-gb-header", "bom-then-gb-comment", "bom-utf8-then-gb-line", "utf8-then-gb"],
)
def test_a_file_mixing_utf8_and_gb18030_is_refused_naming_line_and_byte(data: bytes, line: int) -> None:
    with pytest.raises(FileUnreadable) as err:
        parse_csv(data)
    [problem] = err.value.problems
    assert (problem["code"], problem["line"], problem["encoding"]) == ("undecodable", line, "UTF-8")
    assert data[problem["offset"]] >= 0x80 and f"0x{data[problem['offset']]:02X}" in err.value.detail
    assert err.value.status == 422 and f"line {line}" in err.value.detail


def test_a_cell_over_the_csv_field_limit_is_refused_naming_the_line() -> None:
    data = b"indicator,numerator,denominator,comment\nA,1,2,ok\nB,1,2," + b"x" * 200_000 + b"\n"
    with pytest.raises(FileUnreadable) as err:
        parse_csv(data, max_bytes=1_000_000)
    assert err.value.problems == [{"code": "cell_too_long", "line": 3, "row": 3}]
    assert err.value.detail == "第 3 行有一个单元格过长 / line 3 has a cell that is too long"
