from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from tests.submission.support import GD, ZJ, add_hospital, ensure_catalog, set_window

QUARTER = "2023Q2"


@dataclass
class World:
    zj: int
    zj_other: int
    gd: int


@pytest.fixture
def world(owner_session: Session) -> World:
    ensure_catalog(owner_session)
    ids = World(zj=add_hospital(owner_session, ZJ, "浙江甲医院"), zj_other=add_hospital(owner_session, ZJ, "浙江乙医院"),
                gd=add_hospital(owner_session, GD, "广东医院"))
    for province in (ZJ, GD):
        set_window(owner_session, province, QUARTER)
    return ids
