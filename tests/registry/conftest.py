"""Registry fixtures: onboarded demo provinces, a specialty, and actors of every scope.

Everything runs in ``owner_session`` (rolled back after each test); ``use(session, actor)``
switches, inside that transaction, to the restricted app role bound to ``actor`` (real RLS).
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from services.models import Hospital
from services.registry import hospitals
from services.registry.credit_code import check_character
from services.registry.schemas import HospitalCreate
from tests.db import act_as_app

NAT_ADMIN = Actor(subject="nat-admin", roles=frozenset({Role.NATIONAL_ADMIN}))
NAT_ANALYST = Actor(subject="nat-analyst", roles=frozenset({Role.NATIONAL_ANALYST}))
ZJ_ADMIN = Actor(
    subject="zj-admin", roles=frozenset({Role.PROVINCIAL_ADMIN}), province="330000", client_id="qcp-dashboard"
)
ZJ_ANALYST = Actor(subject="zj-analyst", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
GD_ADMIN = Actor(subject="gd-admin", roles=frozenset({Role.PROVINCIAL_ADMIN}), province="440000")

_serial = itertools.count(1)


def credit_code(area: str = "330100") -> str:
    """A fresh valid code: '12' + area + a serial organisation code + the GB 32100 check character."""
    body = f"12{area}{next(_serial) + 47_100_000:09d}"
    return body + check_character(body)


def use(session: Session, actor: Actor | None) -> Actor | None:
    act_as_app(session, actor)
    return actor


def new_hospital(session: Session, actor: Actor, **overrides) -> Hospital:
    province = overrides.pop("province_code", actor.province)
    prefecture = overrides.pop("prefecture_code", province[:2] + "0100")
    values = {
        "credit_code": credit_code(prefecture),
        "name": f"测试医院{next(_serial)}",
        "level": "三级",
        "grade": "甲等",
        "type": "综合",
        "prefecture_code": prefecture,
        "beds": 800,
        **overrides,
    }
    data = HospitalCreate(province_code=province if actor.is_national else None, **values)
    use(session, actor)
    return hospitals.create_hospital(session, actor, data=data)


@pytest.fixture
def registry(owner_session: Session) -> Session:
    owner_session.execute(
        text("UPDATE provinces SET onboarded_at = now() WHERE code IN ('330000', '440000', '510000')")
    )
    owner_session.execute(
        text(
            # the shared database has the published catalog; this keeps the tests working without it
            "INSERT INTO specialties (code, seq, name, name_en)"
            " VALUES ('icu', 40, '重症医学专业', 'Critical Care Medicine') ON CONFLICT DO NOTHING"
        )
    )
    return owner_session
