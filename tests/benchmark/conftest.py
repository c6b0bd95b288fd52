"""A small benchmark world in one rolled-back transaction: two provinces, 2022Q3, 2023Q2, 2023Q3."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from tests.benchmark.world import add_hospital, add_values, publish_catalogs

ZJ, GD = "330000", "440000"


@dataclass
class World:
    session: Session
    hospitals: list  # 330000: index 0 is the laggard, 11 is tiny, 12-13 are 二级
    guangdong: list

    @property
    def laggard(self):  # noqa: ANN201
        return self.hospitals[0]


def analyst(province: str = ZJ) -> Actor:
    return Actor(subject=f"analyst-{province}", roles=frozenset({Role.PROVINCIAL_ANALYST}), province=province)


def admin(province: str = ZJ) -> Actor:
    return Actor(subject=f"admin-{province}", roles=frozenset({Role.PROVINCIAL_ADMIN}), province=province)


def national() -> Actor:
    return Actor(subject="nation", roles=frozenset({Role.NATIONAL_ANALYST}))


def viewer(hospital) -> Actor:  # noqa: ANN001
    return Actor(
        subject=f"viewer-{hospital.id}",
        roles=frozenset({Role.HOSPITAL_VIEWER}),
        province=hospital.province_code,
        hospital_id=hospital.id,
    )


def build_world(session: Session) -> World:
    publish_catalogs(session)
    zj = [add_hospital(session, ZJ, f"浙江测试医院{i:02d}") for i in range(12)]
    zj += [add_hospital(session, ZJ, f"浙江二级医院{i}", level="二级") for i in range(2)]
    gd = [add_hospital(session, GD, f"广东测试医院{i}") for i in range(3)]
    for i, h in enumerate(zj[:12]):
        laggard, tiny = i == 0, i == 11
        x23 = 30 if laggard else 68 + i % 5
        add_values(
            session,
            h,
            "2023Q3",
            {
                "NIT-2023-I.1": (0, 5) if tiny else (x23, 100),
                "NIT-2023-V.1": (200 if laggard else 250, 10000),
                "NIT-2023-IX.1": (80, 100),
                "NIT-2023-VIII.1": (60 if laggard else 66, 100),
                "NIT-2023-VIII.2": (80, 100),
                "NIT-2023-X.1": (4, 100),
                "NIT-2023-VI.1": (78, 100),
            },
        )
        add_values(session, h, "2023Q2", {"NIT-2023-I.1": (0, 5) if tiny else (32 if laggard else 70, 100)})
        add_values(
            session,
            h,
            "2022Q3",
            {
                "NIT-2022-I.1": (0, 5) if tiny else (70, 100),
                "NIT-2022-VII.1": (100 if laggard else 240, 10000),
                "NIT-2022-V.1": (70, 100),
                "NIT-2022-VI.1": (40, 100),
                "NIT-2022-VI.2": (80 if laggard else 65, 100),
                "NIT-2022-VIII.1": (1, 400),
            },
        )
    for h in gd:
        add_values(session, h, "2023Q3", {"NIT-2023-I.1": (90, 100)})
    return World(session, zj, gd)


@pytest.fixture
def world(owner_session: Session) -> World:
    return build_world(owner_session)
