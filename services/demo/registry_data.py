"""Deterministic synthetic registry for the demo: 3 provinces, 72 hospitals (24 each), networks.

Synthetic: names are generated from real prefecture names but the hospitals, codes and numbers
are made up. Credit codes are valid GB 32100-2015 codes (their embedded GB 11714 organisation
code carries its own check digit too).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

DEMO_PROVINCES = {
    "330000": [
        ("330100", "杭州"),
        ("330200", "宁波"),
        ("330300", "温州"),
        ("330400", "嘉兴"),
        ("330600", "绍兴"),
        ("330700", "金华"),
        ("331000", "台州"),
    ],
    "440000": [
        ("440100", "广州"),
        ("440300", "深圳"),
        ("440400", "珠海"),
        ("440600", "佛山"),
        ("440700", "江门"),
        ("440800", "湛江"),
        ("441300", "惠州"),
    ],
    "510000": [
        ("510100", "成都"),
        ("510300", "自贡"),
        ("510500", "泸州"),
        ("510600", "德阳"),
        ("510700", "绵阳"),
        ("511100", "乐山"),
        ("511300", "南充"),
    ],
}

# (name pattern, level, grade, type, beds range)
_TEMPLATES = [
    ("{city}市第一人民医院", "三级", "甲等", "综合", (1200, 2500)),
    ("{city}市中心医院", "三级", "甲等", "综合", (900, 1800)),
    ("{city}市中医院", "三级", "乙等", "中医", (500, 900)),
    ("{city}市妇幼保健院", "三级", "乙等", "妇幼保健", (300, 600)),
    ("{city}市第二人民医院", "二级", "甲等", "综合", (300, 700)),
    ("{city}市肿瘤医院", "三级", "甲等", "专科", (600, 1200)),
]


def gb11714_check(body8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def gb32100_check(body17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(body17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def make_credit_code(prefecture: str, serial: int) -> str:
    """'12' (institution) + registration area + GB 11714 code + GB 32100 check digit."""
    org8 = f"{47000000 + serial:08d}"
    body = "12" + prefecture + org8 + gb11714_check(org8)
    return body + gb32100_check(body)


@dataclass(frozen=True)
class DemoHospital:
    key: str
    province: str
    credit_code: str
    name: str
    level: str
    grade: str
    type: str
    prefecture: str
    beds: int


@dataclass(frozen=True)
class DemoNetwork:
    key: str
    province: str | None
    kind: str
    name: str
    members: tuple[tuple[str, str, str | None], ...]  # (hospital key, valid_from, valid_to)


def demo_hospitals(seed: int = 2023) -> list[DemoHospital]:
    rng = random.Random(seed)
    out: list[DemoHospital] = []
    serial = 0
    for province, cities in DEMO_PROVINCES.items():
        for i, (prefecture, city) in enumerate(cities):
            templates = _TEMPLATES[:4] if i < 3 else _TEMPLATES[3:] if i < 5 else _TEMPLATES[::2]
            for pattern, level, grade, kind, (lo, hi) in templates[:3] if i >= 3 else templates:
                serial += 1
                out.append(
                    DemoHospital(
                        key=f"H{serial:03d}",
                        province=province,
                        credit_code=make_credit_code(prefecture, serial),
                        name=pattern.format(city=city),
                        level=level,
                        grade=grade,
                        type=kind,
                        prefecture=prefecture,
                        beds=rng.randint(lo, hi),
                    )
                )
    return out


def demo_networks(hospitals: list[DemoHospital]) -> list[DemoNetwork]:
    by_province: dict[str, list[DemoHospital]] = {}
    for h in hospitals:
        by_province.setdefault(h.province, []).append(h)
    zj = by_province["330000"]
    hz = [h for h in zj if h.prefecture == "330100"]
    alliance = tuple((h.key, "2022-01-01", None) for h in hz) + ((zj[5].key, "2023-01-01", None),)
    sentinel = tuple(
        (h.key, "2022-01-01", "2023-01-01" if i == 0 else None)
        for p in ("330000", "440000", "510000")
        for i, h in enumerate(x for x in by_province[p] if x.level == "三级" and x.type == "综合")
        if i < 3
    )
    gd = by_province["440000"]
    return [
        DemoNetwork("N1", "330000", "medical_alliance", "杭州城市医疗集团", alliance),
        DemoNetwork("N2", None, "sentinel", "国家感染性休克集束化治疗哨点网络", sentinel),
        DemoNetwork(
            "N3",
            "440000",
            "specialty",
            "广东省重症医学专科联盟",
            tuple((h.key, "2022-04-01", None) for h in gd if h.level == "三级"),
        ),
    ]
