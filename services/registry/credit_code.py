"""统一社会信用代码 (unified social credit code) validation per GB 32100-2015.

Structure (18 characters from a 31-character alphabet without I, O, Z, S, V):

=========  ===========================================================
position   meaning
=========  ===========================================================
1          登记管理部门代码 registration authority (e.g. 1 机构编制, 5 民政, 9 市场监管)
2          机构类别代码 organisation category
3-8        登记管理机关行政区划码 (GB/T 2260, digits)
9-17       主体标识码 (organisation code, GB 11714)
18         校验码 check character
=========  ===========================================================

Check character: ``c18 = 31 - (Σ value(ci) × Wi mod 31)``, where 31 maps to ``0``.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class CreditCodeError(ValueError):
    """A credit code that fails GB 32100. ``position`` is 1-based when one character is at fault."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (already validated)."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    """Strip spaces and upper-case: codes are often typed in lower case or copied with spaces."""
    return "".join(code.split()).upper()


def validate(code: str) -> str:
    """Return the normalised code, or raise :class:`CreditCodeError` naming what is wrong."""
    if not isinstance(code, str):
        raise CreditCodeError("统一社会信用代码必须是字符串 / the credit code must be a string")
    value = normalize(code)
    if len(value) != LENGTH:
        raise CreditCodeError(
            f"统一社会信用代码应为 18 位，实际 {len(value)} 位 / "
            f"the credit code must have 18 characters, got {len(value)}"
        )
    for index, ch in enumerate(value, start=1):
        if ch not in _VALUE:
            raise CreditCodeError(
                f"第 {index} 位字符 {ch!r} 不在代码字符集内（不可使用 I、O、Z、S、V）/ "
                f"character {ch!r} at position {index} is not allowed (I, O, Z, S, V are never used)",
                position=index,
            )
    for index in range(3, 9):
        if not value[index - 1].isdigit():
            raise CreditCodeError(
                f"第 {index} 位应为数字（第 3-8 位是登记机关行政区划码）/ position {index} must be a digit "
                f"(positions 3-8 are the registering authority's GB/T 2260 area code)",
                position=index,
            )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise CreditCodeError(
            f"校验码错误：第 18 位应为 {expected}，实际为 {value[17]} / "
            f"wrong check character: expected {expected}, got {value[17]}",
            position=18,
        )
    return value


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except CreditCodeError:
        return False
    return True
