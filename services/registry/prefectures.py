"""Prefecture-level divisions (地级行政区, GB/T 2260) and whether one lies inside a province.

Every province gets the structural check: six digits, the province's first two digits, digits 3-4
not ``00`` and the last two ``00`` (municipalities use their 01/02 forms, e.g. 110100, 500200;
province-administered county-level groups use 90, e.g. 429000). For the demo provinces the real
list (``data/prefectures.csv``) is enforced as well and gives the names.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "prefectures.csv"
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
_SIX_DIGITS = re.compile(r"^\d{6}$")


class PrefectureError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Prefecture:
    province_code: str
    code: str
    name: str
    name_en: str


@lru_cache
def known_prefectures() -> dict[str, tuple[Prefecture, ...]]:
    """Province code → its prefectures, for the provinces listed in the data file."""
    by_province: dict[str, list[Prefecture]] = {}
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            item = Prefecture(row["province_code"], row["code"], row["name"], row["name_en"])
            if item.code[:2] != item.province_code[:2]:
                raise ValueError(f"{DATA_FILE.name}: {item.code} is not inside {item.province_code}")
            by_province.setdefault(item.province_code, []).append(item)
    return {code: tuple(items) for code, items in by_province.items()}


def prefectures_of(province_code: str) -> tuple[Prefecture, ...]:
    """The known prefectures of a province (empty when the data file does not list the province)."""
    return known_prefectures().get(province_code, ())


def prefecture_name(code: str) -> str | None:
    for items in known_prefectures().values():
        for item in items:
            if item.code == code:
                return item.name
    return None


def _structural_problem(province_code: str, code: str) -> str | None:
    if not _SIX_DIGITS.match(code or ""):
        return f"地市代码应为 6 位数字 / the prefecture code must be 6 digits, got {code!r}"
    if code[:2] != province_code[:2]:
        return (
            f"地市 {code} 不属于省份 {province_code}（前两位应为 {province_code[:2]}）/ prefecture {code} is "
            f"not inside province {province_code} (its first two digits must be {province_code[:2]})"
        )
    if code[2:4] == "00" or code[4:] != "00":
        return (
            f"{code} 不是地级行政区划代码（第 3-4 位不能为 00，末两位应为 00）/ {code} is not a prefecture-level "
            f"code (digits 3-4 must not be 00, the last two must be 00)"
        )
    if province_code in MUNICIPALITIES and code[2:4] not in ("01", "02"):
        return (
            f"直辖市的地级代码只有 {province_code[:2]}0100 / {province_code[:2]}0200 两种形式 / a municipality's "
            f"prefecture-level code is {province_code[:2]}0100 or {province_code[:2]}0200, got {code}"
        )
    return None


def validate_prefecture(province_code: str, code: str) -> str:
    """Return ``code`` when it is a prefecture of ``province_code``; raise :class:`PrefectureError`."""
    problem = _structural_problem(province_code, code)
    if problem:
        raise PrefectureError(problem)
    listed = prefectures_of(province_code)
    if listed and code not in {p.code for p in listed}:
        sample = "、".join(f"{p.code} {p.name}" for p in listed[:3])
        raise PrefectureError(
            f"{code} 不是 {province_code} 的地级行政区（例如 {sample} …）/ {code} is not one of the "
            f"{len(listed)} prefectures of {province_code}"
        )
    return code
