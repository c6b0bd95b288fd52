"""XLSX uploads, read safely.

The zip is inspected before openpyxl touches it: only the member names a workbook needs, no
encryption, a total unpacked size limit and a per-member compression ratio limit (zip bombs), and
every XML member parsed with defusedxml with DTDs forbidden (external entities, billion laughs).
Every member is read and checked before openpyxl opens the file: a damaged archive (bad CRC, sizes
that do not match the content, truncated data) is refused as damaged, and a number cell must hold a
finite decimal number (openpyxl would otherwise fail on ``NaN`` or ``Infinity`` mid-read).
Formulas are refused cell by cell: a submission is numbers typed by a person or exported by a
system, and a cached formula result is whatever the last program to save the file computed.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
import zlib
from posixpath import dirname, normpath
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring, iterparse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from services.core.errors import DomainError
from services.submission.io_common import (
    FileUnreadable,
    ParsedRow,
    RawRow,
    TemplateMeta,
    UnsafeFile,
    UploadSettings,
    check_meta,
    check_rows,
    parse_meta,
    too_large,
    upload_settings,
)
from services.submission.io_headers import looks_like_header, map_headers

DATA_SHEET = "上报数据"
META_SHEET = "_qcp"
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ALLOWED_MEMBERS = re.compile(
    r"^(\[Content_Types\]\.xml|_rels/\.rels|docProps/(app|core|custom)\.xml|docProps/thumbnail\.\w+"
    r"|xl/(workbook|styles|sharedStrings|calcChain|metadata)\.xml|xl/_rels/workbook\.xml\.rels"
    r"|xl/theme/theme\d+\.xml|xl/worksheets/sheet\d+\.xml|xl/worksheets/_rels/sheet\d+\.xml\.rels"
    r"|xl/printerSettings/printerSettings\d+\.bin|xl/comments\d*\.xml|xl/persons/person\.xml"
    r"|xl/threadedComments/threadedComment\d+\.xml|xl/tables/table\d+\.xml"
    r"|xl/drawings/(drawing\d+\.xml|vmlDrawing\d+\.vml|_rels/(drawing|vmlDrawing)\d+\.(xml|vml)\.rels)"
    r"|xl/media/image\d+\.(png|jpe?g|gif|emf|wmf)|customXml/(item\d+|itemProps\d+)\.xml"
    r"|customXml/_rels/item\d+\.xml\.rels|xl/customProperty\d+\.bin)$"
)
_MAX_MEMBERS = 200


def _unsafe(code: str, zh: str, en: str, **problem: Any) -> UnsafeFile:
    return UnsafeFile(f"{zh} / {en}", problems=[{"code": code, **problem, "problem": f"{zh} / {en}"}])


def _check_members(zf: zipfile.ZipFile, limits: UploadSettings) -> list[zipfile.ZipInfo]:
    infos = [i for i in zf.infolist() if not i.is_dir()]
    names = [i.filename for i in infos]
    if len(infos) > _MAX_MEMBERS or len(set(names)) != len(names):
        raise _unsafe(
            "bad_structure",
            "工作簿结构异常（成员过多或重名）",
            "the workbook has too many or duplicate members",
        )
    total = 0
    for info in infos:
        if not _ALLOWED_MEMBERS.match(info.filename):
            raise _unsafe(
                "unexpected_member",
                f"工作簿含有不允许的部件 {info.filename!r}（宏、外部链接、嵌入对象等）",
                f"the workbook contains a part that is not allowed: {info.filename!r} "
                "(macros, external links, embedded objects, …)",
                member=info.filename,
            )
        if info.flag_bits & 0x1:
            raise _unsafe("encrypted", "工作簿已加密", "the workbook is encrypted", member=info.filename)
        if info.file_size > limits.max_uncompressed_bytes:  # a lie or a bomb: either way, unread
            raise _unsafe(
                "unpacked_too_large",
                f"部件 {info.filename} 声明解压后 {info.file_size} 字节，超过上限 {limits.max_uncompressed_bytes}",
                f"member {info.filename} declares {info.file_size} bytes unpacked, more than the limit "
                f"{limits.max_uncompressed_bytes} (unpacked size)",
                member=info.filename,
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_member_ratio:
            raise _unsafe(
                "zip_bomb",
                f"部件 {info.filename} 压缩比 {ratio:.0f}:1 异常（疑似压缩炸弹）",
                f"member {info.filename} expands {ratio:.0f}:1 (zip bomb)",
                member=info.filename,
            )
        total += info.file_size
    if total > limits.max_uncompressed_bytes:
        raise _unsafe(
            "unpacked_too_large",
            f"解压后总大小 {total} 字节超过上限 {limits.max_uncompressed_bytes}",
            f"unpacked size {total} bytes exceeds {limits.max_uncompressed_bytes}",
        )
    return infos


def _damaged(name: str, zh: str, en: str) -> FileUnreadable:
    return FileUnreadable(
        f"工作簿文件已损坏：部件 {name} {zh}；请在 Excel 中重新保存后上传 / the workbook file is damaged: "
        f"member {name} {en}: save it again in Excel and upload it",
        problems=[{"code": "damaged_archive", "member": name, "problem": f"{zh} / {en}"}],
    )


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    try:
        with zf.open(info) as stream:
            data = stream.read(budget + 1)
    except zipfile.BadZipFile as exc:  # bad CRC-32, bad local header, sizes that lie
        raise _damaged(info.filename, f"校验失败（{exc}）", f"fails its integrity check ({exc})") from None
    except (zlib.error, EOFError, NotImplementedError, ValueError, OSError) as exc:
        raise _damaged(
            info.filename, f"无法解压（{type(exc).__name__}）", f"cannot be unpacked ({type(exc).__name__})"
        ) from None
    if len(data) > budget:
        raise _unsafe(
            "unpacked_too_large",
            "解压后大小超过上限",
            "unpacked size exceeds the limit",
            member=info.filename,
        )
    if len(data) != info.file_size:
        raise _damaged(
            info.filename,
            f"声明大小 {info.file_size} 字节，实际 {len(data)} 字节",
            f"declares {info.file_size} bytes but holds {len(data)}",
        )
    return data


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _bad_number(elem: Any) -> str | None:
    """The text of a number cell that is not a finite decimal number (NaN, Infinity, 1E999 …)."""
    if elem.get("t", "n") != "n":
        return None
    value = elem.find(f"{_NS_MAIN}v")
    text = (value.text or "").strip() if value is not None else ""
    if not text or (_NUMBER.fullmatch(text) and math.isfinite(float(text))):
        return None
    return text[:40]


def _scan_sheet(
    name: str, data: bytes, formulas: dict[str, list[str]], numbers: list[tuple[Any, ...]]
) -> None:
    for _, elem in iterparse(io.BytesIO(data), forbid_dtd=True):
        if elem.tag == f"{_NS_MAIN}c":
            if elem.find(f"{_NS_MAIN}f") is not None:
                formulas.setdefault(name, []).append(elem.get("r") or "?")
            if (bad := _bad_number(elem)) is not None:
                numbers.append((name, elem.get("r") or "?", bad))
            elem.clear()


def _parse_xml(name: str, data: bytes, formulas: dict[str, list[str]], numbers: list[tuple[Any, ...]]) -> Any:
    """Parse one XML member (DTDs forbidden); note formula cells and non-finite numbers of sheets."""
    try:
        if name.startswith("xl/worksheets/sheet"):
            _scan_sheet(name, data, formulas, numbers)
            return None
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _unsafe(
            "dtd_forbidden",
            f"部件 {name} 含有 DTD 或实体声明，已拒绝",
            f"member {name} declares a DTD or entities (XML external entity / entity expansion): refused",
            member=name,
        ) from None
    except ParseError as exc:
        raise FileUnreadable(
            f"部件 {name} 不是有效的 XML：{exc} / member {name} is not valid XML: {exc}",
            problems=[{"code": "invalid_xml", "member": name}],
        ) from None


def _scan_vml(name: str, data: bytes) -> None:
    """VML from Excel is often not well-formed XML; scan the bytes for declarations instead."""
    lowered = data.lower()
    for needle in ("<!doctype", "<!entity"):
        if needle.encode() in lowered or needle.encode("utf-16-le") in lowered:
            raise _unsafe(
                "dtd_forbidden",
                f"部件 {name} 含有 DTD 或实体声明，已拒绝",
                f"member {name} declares a DTD or entities: refused",
                member=name,
            )


def _sheet_names(workbook: Any, rels: Any) -> dict[str, str]:
    """Worksheet member path → sheet name, from workbook.xml and its relationships."""
    if workbook is None or rels is None:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG_REL}Relationship")}
    out = {}
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        path = target.lstrip("/") if target.startswith("/") else normpath(f"xl/{target}")
        out[path] = sheet.get("name", path)
    return out


def inspect_xlsx(data: bytes, limits: UploadSettings | None = None) -> None:
    """Refuse a workbook that is not safe to open; refuse any formula cell, naming it."""
    limits = limits or upload_settings()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError):
        raise FileUnreadable(
            "文件不是有效的 XLSX 工作簿 / the file is not a valid XLSX workbook",
            problems=[{"code": "not_a_workbook"}],
        ) from None
    with zf:
        budget = limits.max_uncompressed_bytes
        formulas: dict[str, list[str]] = {}
        numbers: list[tuple[str, str, str]] = []
        parsed: dict[str, Any] = {}
        for info in _check_members(zf, limits):
            name = info.filename
            member = _read_member(zf, info, budget)  # every member: a damaged one is refused here
            budget -= len(member)
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            if name.endswith(".vml"):
                _scan_vml(name, member)
            else:
                parsed[name] = _parse_xml(name, member, formulas, numbers)
    names = _sheet_names(parsed.get("xl/workbook.xml"), parsed.get("xl/_rels/workbook.xml.rels"))
    if numbers:
        raise _not_finite(numbers, names)
    if formulas:
        cells = [f"{names.get(path, dirname(path))}!{ref}" for path, refs in formulas.items() for ref in refs]
        shown = ", ".join(cells[:10]) + (" …" if len(cells) > 10 else "")
        raise FileUnreadable(
            f"单元格含有公式：{shown}；请填写数值本身（复制后“选择性粘贴为数值”）/ cells contain formulas: "
            f"{shown}: enter the values themselves (paste as values)",
            problems=[
                {
                    "code": "formula_cell",
                    "cell": cell,
                    "problem": f"公式单元格 {cell} / formula in cell {cell}",
                }
                for cell in cells
            ],
        )


def _not_finite(numbers: list[tuple[str, str, str]], names: dict[str, str]) -> FileUnreadable:
    cells = [(f"{names.get(path, dirname(path))}!{ref}", text) for path, ref, text in numbers]
    shown = ", ".join(f"{cell} = {text}" for cell, text in cells[:10]) + (" …" if len(cells) > 10 else "")
    return FileUnreadable(
        f"单元格中的数值不是有效的有限数字：{shown}；请填写非负整数 / cells hold values that are not finite "
        f"numbers: {shown}: enter non-negative integers",
        problems=[
            {
                "code": "not_a_finite_number",
                "cell": cell,
                "value": text,
                "problem": f"单元格 {cell} 的值 {text} 不是有限数字 / cell {cell} holds {text}, not a finite number",
            }
            for cell, text in cells
        ],
    )


def _open(data: bytes) -> Any:
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise FileUnreadable(
            f"无法读取工作簿：{type(exc).__name__} / the workbook cannot be read: {type(exc).__name__}",
            problems=[{"code": "not_a_workbook"}],
        ) from None


def _meta(wb: Any) -> TemplateMeta | None:
    if META_SHEET not in wb.sheetnames:
        return None
    pairs = {}
    for row in wb[META_SHEET].iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
        if row and row[0] is not None:
            pairs[str(row[0]).strip()] = "" if row[1] is None else str(row[1]).strip()
    return parse_meta(pairs)


def _data_sheet(wb: Any) -> Any:
    if DATA_SHEET in wb.sheetnames:
        return wb[DATA_SHEET]
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible" and ws.title != META_SHEET]
    if not visible:
        raise FileUnreadable(
            "工作簿中没有可见的工作表 / the workbook has no visible worksheet",
            problems=[{"code": "no_sheet"}],
        )
    return visible[0]


def _raw_rows(ws: Any, max_rows: int) -> list[RawRow]:
    rows = ws.iter_rows(values_only=True)
    columns: dict[str, int] | None = None
    raws: list[RawRow] = []
    for number, cells in enumerate(rows, start=1):
        if columns is None:
            if number > 20:
                break
            if looks_like_header(cells):
                columns = map_headers(list(cells), row=number)
            continue
        if len(raws) > max_rows or number > max_rows * 4 + 20:
            break  # check_rows reports the limit
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        values = {name: cells[i] if i < len(cells) else None for name, i in columns.items()}
        refs = {name: f"{get_column_letter(i + 1)}{number}" for name, i in columns.items()}
        raws.append(RawRow(number, values, refs))
    if columns is None:
        raise FileUnreadable(
            f"工作表“{ws.title}”前 20 行中没有表头（指标编码、分子、分母）/ no header row (indicator, "
            f"numerator, denominator) in the first 20 rows of sheet {ws.title!r}",
            problems=[{"code": "no_header", "sheet": ws.title}],
        )
    return raws


def parse_xlsx(
    data: bytes, *, expected: TemplateMeta | None = None, limits: UploadSettings | None = None
) -> list[ParsedRow]:
    """Rows of an XLSX upload, checked; a QCP template must match ``expected``."""
    limits = limits or upload_settings()
    if len(data) > limits.max_bytes:
        raise too_large(len(data), limits.max_bytes)
    inspect_xlsx(data, limits)
    wb = _open(data)
    try:
        meta = _meta(wb)
        if meta is not None:
            check_meta(meta, expected)
        raws = _raw_rows(_data_sheet(wb), limits.max_rows)
    except DomainError:
        raise
    except Exception as exc:  # openpyxl reads lazily: whatever it trips on is a damaged file, not a 500
        raise FileUnreadable(
            f"无法读取工作簿：{type(exc).__name__} / the workbook cannot be read: {type(exc).__name__}",
            problems=[{"code": "not_a_workbook"}],
        ) from None
    finally:
        wb.close()
    return check_rows(raws, max_rows=limits.max_rows)
