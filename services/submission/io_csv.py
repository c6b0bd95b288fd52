"""CSV uploads and the CSV template.

Encoding: Chinese spreadsheet software writes UTF-8 (with or without a BOM) or GB18030. The
bytes are decoded as UTF-8 strictly first, then as GB18030. A file that is clearly UTF-8 (it has a
BOM, or already decoded Chinese text before the bad byte) is not re-read as GB18030, because that
would silently turn one damaged byte into a line of mojibake. Undecodable bytes are refused naming
the line and byte offset.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator

from services.submission.io_common import (
    META_MARKER,
    FileUnreadable,
    ParsedRow,
    RawRow,
    TemplateIndicator,
    TemplateMeta,
    check_meta,
    check_rows,
    meta_pairs,
    parse_meta,
    spreadsheet_safe,
    too_large,
    upload_settings,
)
from services.submission.io_headers import TEMPLATE_HEADERS, map_headers

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _undecodable(data: bytes, offset: int, encoding: str) -> FileUnreadable:
    line = data[:offset].count(b"\n") + 1
    byte = data[offset]
    return FileUnreadable(
        f"文件第 {line} 行（字节偏移 {offset}）的字节 0x{byte:02X} 不是有效的 {encoding} 编码；请另存为"
        f"“CSV UTF-8”后重试 / byte 0x{byte:02X} at line {line} (byte offset {offset}) is not valid "
        f"{encoding}: save the file as 'CSV UTF-8' and upload it again",
        problems=[{"code": "undecodable", "line": line, "offset": offset, "encoding": encoding}],
    )


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM optional) or GB18030 text; anything else is refused with its position."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileUnreadable(
            "不支持 UTF-16 编码的文件，请另存为“CSV UTF-8” / "
            "UTF-16 files are not supported: save as 'CSV UTF-8'",
            problems=[{"code": "utf16"}],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        prefix = data[: utf8_error.start].decode("utf-8-sig")
        if data.startswith(codecs.BOM_UTF8) or len(_CJK.findall(prefix)) >= 2:
            raise _undecodable(data, utf8_error.start, "UTF-8") from None
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as gb_error:
            raise _undecodable(data, gb_error.start, "GB18030") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise FileUnreadable(
            f"第 {line} 行含有 NUL 字节，这不是文本 CSV 文件 / line {line} contains a NUL byte: "
            "this is not a text CSV file",
            problems=[{"code": "binary_file", "line": line}],
        )
    return text


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    number = 0
    try:
        for record in reader:
            number += 1
            yield number, record
    except csv.Error as exc:
        raise FileUnreadable(
            f"第 {number + 1} 行 CSV 格式错误：{exc} / row {number + 1} is not valid CSV: {exc}",
            problems=[{"code": "malformed_csv", "row": number + 1}],
        ) from None


def _meta_from(record: list[str]) -> TemplateMeta:
    pairs = dict(cell.split("=", 1) for cell in record[1:] if "=" in cell)
    return parse_meta({k.strip(): v.strip() for k, v in pairs.items()})


def parse_csv(
    data: bytes, *, expected: TemplateMeta | None = None, max_bytes: int | None = None
) -> list[ParsedRow]:
    """Rows of a CSV upload, checked; raises listing every problem with its row and column."""
    limit = max_bytes or upload_settings().max_bytes
    if len(data) > limit:
        raise too_large(len(data), limit)
    records = _records(decode_csv(data))
    columns: dict[str, int] | None = None
    raws: list[RawRow] = []
    for number, record in records:
        if not any(cell.strip() for cell in record):
            continue
        if columns is None:
            if record[0].strip().upper() == META_MARKER:
                check_meta(_meta_from(record), expected)
                continue
            columns = map_headers(record, row=number)
            continue
        values = {name: record[i] if i < len(record) else None for name, i in columns.items()}
        raws.append(RawRow(number, values))
    if columns is None:
        raise FileUnreadable(
            "文件没有表头和数据行 / the file has no header row and no data", problems=[{"code": "no_header"}]
        )
    return check_rows(raws)


def csv_template(meta: TemplateMeta, indicators: list[TemplateIndicator]) -> bytes:
    """The CSV template: a metadata line, Chinese headers, one row per indicator (UTF-8 with BOM).

    Text a spreadsheet would run as a formula is prefixed with an apostrophe.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([META_MARKER, *(f"{k}={v}" for k, v in meta_pairs(meta))])
    writer.writerow(TEMPLATE_HEADERS)
    for item in indicators:
        cells = [item.code, item.name, item.numerator, item.denominator, item.unit, *item.reported_cells()]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
