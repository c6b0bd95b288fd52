"""CSV uploads and the CSV template.

Encoding: Chinese spreadsheet software writes UTF-8 (with or without a BOM) or GB18030. The
bytes are decoded as UTF-8 strictly first, then as GB18030. A file that is clearly UTF-8 (it has a
BOM, or already decoded Chinese text before the bad byte) is not re-read as GB18030, because that
would silently turn one damaged byte into a line of mojibake. Undecodable bytes are refused naming
the line and byte offset.

Nothing is dropped silently: a row with more non-blank cells than the header has columns, and a
quote that is never closed (which would swallow the rest of the file into one cell), are refused
naming the line. Blank cells past the header (spreadsheet padding such as ``a,b,c,,``) carry no data
and are ignored.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from typing import Any

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
    # The BOM is stripped by hand: "utf-8-sig" reports error positions without the BOM's 3 bytes,
    # which pointed at the wrong byte and cut the prefix mid-character (an unhandled error).
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        start = bom + utf8_error.start
        prefix = data[bom:start].decode("utf-8")
        if bom or len(_CJK.findall(prefix)) >= 2:
            raise _undecodable(data, start, "UTF-8") from None
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


def _malformed(line: int, row: int, exc: csv.Error) -> FileUnreadable:
    quotes = "，请检查该行的双引号", ": check the double quotes on that line"
    if "end of data" in str(exc):  # an opening quote never closed: the rest of the file is one cell
        zh, en, code = "引号没有闭合", "has a quote that is never closed", "unterminated_quote"
    elif "larger than field limit" in str(exc):
        zh, en, code = "有一个单元格过长", "has a cell that is too long", "cell_too_long"
        quotes = "", ""
    else:
        zh, en, code = f"CSV 格式错误（{exc}）", f"is not valid CSV ({exc})", "malformed_csv"
    return FileUnreadable(
        f"第 {line} 行{zh}{quotes[0]} / line {line} {en}{quotes[1]}",
        problems=[{"code": code, "line": line, "row": row}],
    )


def _records(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """(row, first physical line, cells) per record; a broken quote is refused, never absorbed."""
    # strict: an unterminated quote is an error instead of silently swallowing the rest of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _malformed(line, number + 1, exc) from None
        number += 1
        yield number, line, record


def _extra_cells(record: list[str], width: int, row: int, line: int) -> dict[str, Any] | None:
    """A problem when the row has non-blank cells beyond the header (blank padding is harmless)."""
    extra = [cell for cell in record[width:] if cell.strip()]
    if not extra:
        return None
    return {
        "code": "too_many_fields",
        "row": row,
        "line": line,
        "fields": len(record),
        "header_fields": width,
        "problem": f"第 {line} 行有 {len(record)} 个字段，表头只有 {width} 个（多出“{extra[0][:40]}”）/ "
        f"line {line} has {len(record)} fields but the header has {width} (extra: {extra[0][:40]!r})",
    }


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
    width = 0
    raws: list[RawRow] = []
    extra: list[dict[str, Any]] = []
    for number, line, record in records:
        if not any(cell.strip() for cell in record):
            continue
        if columns is None:
            if record[0].strip().upper() == META_MARKER:
                check_meta(_meta_from(record), expected)
                continue
            columns, width = map_headers(record, row=number), len(record)
            continue
        if problem := _extra_cells(record, width, number, line):
            extra.append(problem)
            continue
        values = {name: record[i] if i < len(record) else None for name, i in columns.items()}
        raws.append(RawRow(number, values))
    if columns is None:
        raise FileUnreadable(
            "文件没有表头和数据行 / the file has no header row and no data", problems=[{"code": "no_header"}]
        )
    if extra:
        lines = ", ".join(str(p["line"]) for p in extra[:10]) + (" …" if len(extra) > 10 else "")
        raise FileUnreadable(
            f"第 {lines} 行的字段多于表头，请删除多余的单元格或给含逗号的文本加双引号 / line(s) {lines} have "
            "more fields than the header: remove the extra cells or quote text that contains commas",
            problems=extra,
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
