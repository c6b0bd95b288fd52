"""Synthetic national registry: 32 provinces, about 13,000 hospitals with a realistic mix.

Deterministic. The hospitals and numbers are made up; the province shares roughly follow the
published counts of hospitals per province (统计年鉴, rounded), the level/type mix the national one
(about a fifth tertiary, half secondary). Prefecture codes are GB/T 2260 prefecture-level codes:
the real ones for the provinces listed in ``services/registry/data/prefectures.csv``, structurally
valid synthetic ones (province digits + 01…n + 00) elsewhere. Credit codes are valid GB 32100 codes
whose GB 11714 organisation codes start at 48000000 (the small demo uses 47000000+), so both data
sets can live in one database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.demo.registry_data import make_credit_code
from services.registry.prefectures import MUNICIPALITIES, prefectures_of

ORG_CODE_BASE = 48_000_000
# province → (approximate number of hospitals, number of prefecture-level divisions)
PROVINCE_SHARES: dict[str, tuple[int, int]] = {
    "110000": (650, 1),
    "120000": (440, 1),
    "130000": (2400, 11),
    "140000": (1400, 11),
    "150000": (800, 12),
    "210000": (1400, 14),
    "220000": (800, 9),
    "230000": (1200, 13),
    "310000": (440, 1),
    "320000": (2000, 13),
    "330000": (1500, 11),
    "340000": (1300, 16),
    "350000": (700, 9),
    "360000": (900, 11),
    "370000": (2700, 16),
    "410000": (2400, 17),
    "420000": (1100, 13),
    "430000": (1700, 14),
    "440000": (1800, 21),
    "450000": (800, 14),
    "460000": (280, 4),
    "500000": (870, 2),
    "510000": (2500, 21),
    "520000": (1500, 9),
    "530000": (1400, 16),
    "540000": (180, 7),
    "610000": (1300, 10),
    "620000": (700, 14),
    "630000": (220, 8),
    "640000": (230, 5),
    "650000": (1000, 14),
    "660000": (60, 4),
}
# (level, grade, type, share, beds range): national mix, synthetic
MIX = [
    ("三级", "甲等", "综合", 0.10, (800, 3000)),
    ("三级", "乙等", "综合", 0.04, (500, 1500)),
    ("三级", "甲等", "中医", 0.03, (500, 1500)),
    ("三级", "甲等", "专科", 0.03, (300, 1200)),
    ("三级", "甲等", "妇幼保健", 0.02, (300, 900)),
    ("二级", "甲等", "综合", 0.20, (200, 800)),
    ("二级", "乙等", "综合", 0.13, (100, 500)),
    ("二级", "甲等", "中医", 0.10, (100, 500)),
    ("二级", "甲等", "妇幼保健", 0.07, (60, 300)),
    ("二级", "甲等", "专科", 0.05, (80, 400)),
    ("二级", "甲等", "中西医结合", 0.02, (100, 400)),
    ("二级", "甲等", "民族医", 0.01, (60, 300)),
    ("一级", "甲等", "综合", 0.15, (20, 150)),
    ("未定级", "未定等", "综合", 0.05, (20, 120)),
]
NAME_PATTERNS = {
    "综合": "第{n}人民医院",
    "中医": "中医医院（{n}）",
    "专科": "专科医院（{n}）",
    "妇幼保健": "妇幼保健院（{n}）",
    "中西医结合": "中西医结合医院（{n}）",
    "民族医": "民族医医院（{n}）",
}


@dataclass(frozen=True)
class NationalHospital:
    index: int  # position in the generated list (drives laggards, statuses)
    province: str
    credit_code: str
    name: str
    level: str
    grade: str
    type: str
    prefecture: str
    beds: int


def hospital_counts(total: int, provinces: list[str]) -> dict[str, int]:
    """Split ``total`` over ``provinces`` by their shares (largest remainder; at least one each)."""
    weights = np.array([PROVINCE_SHARES[p][0] for p in provinces], dtype=float)
    raw = weights / weights.sum() * max(total - len(provinces), 0)
    counts = np.floor(raw).astype(int) + 1
    for i in np.argsort(-(raw - np.floor(raw)))[: total - int(counts.sum())]:
        counts[i] += 1
    return dict(zip(provinces, counts.tolist(), strict=True))


def prefecture_codes(province: str) -> list[tuple[str, str]]:
    """(code, short name) of the province's prefecture-level divisions."""
    known = prefectures_of(province)
    if known:
        return [(p.code, p.name.removesuffix("市")) for p in known]
    if province in MUNICIPALITIES:
        n = PROVINCE_SHARES[province][1]
        return [(f"{province[:2]}0{k}00", f"{k}区") for k in range(1, n + 1)]
    count = PROVINCE_SHARES[province][1]
    return [(f"{province[:2]}{k:02d}00", f"第{k}地区") for k in range(1, count + 1)]


def national_hospitals(
    total: int, provinces: list[str], names: dict[str, str], seed: int = 2024
) -> list[NationalHospital]:
    rng = np.random.default_rng(seed)
    shares = np.array([m[3] for m in MIX])
    out: list[NationalHospital] = []
    for province, count in hospital_counts(total, provinces).items():
        prefectures = prefecture_codes(province)
        kinds = rng.choice(len(MIX), size=count, p=shares / shares.sum())
        where = rng.integers(0, len(prefectures), size=count)
        for k, (kind, place) in enumerate(zip(kinds, where, strict=True)):
            level, grade, type_, _, (lo, hi) = MIX[kind]
            prefecture, short = prefectures[place]
            index = len(out)
            pattern = NAME_PATTERNS[type_].format(n=k + 1)
            out.append(
                NationalHospital(
                    index=index,
                    province=province,
                    credit_code=make_credit_code(prefecture, index + 1000001),
                    name=f"{names[province]}{short}{pattern}",
                    level=level,
                    grade=grade,
                    type=type_,
                    prefecture=prefecture,
                    beds=int(rng.integers(lo, hi + 1)),
                )
            )
    return out
