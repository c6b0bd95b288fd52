"""Test data for submission tests: a small catalog (2022 + 2023 with lineage), hospitals, windows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from services.models import CatalogYear, Goal, Indicator, IndicatorLineage
from tests.db import act_as_app, act_as_owner

ZJ, GD = "330000", "440000"

# goal code → (list, number, [(indicator suffix, kind)])
GOALS = {
    2022: {
        "NIT-2022-VI": ("national", 6, [("1", "proportion"), ("2", "proportion")]),
    },
    2023: {
        "NIT-2023-I": ("national", 1, [("1", "proportion")]),
        "NIT-2023-IV": ("national", 4, [("1", "proportion"), ("2", "proportion"), ("3", "proportion")]),
        "NIT-2023-VIII": ("national", 8, [("1", "proportion"), ("2", "proportion")]),
        "PIT-2023-90": ("specialty", 90, [("1", "rate")]),
    },
}
LINEAGE = [("NIT-2022-VI.2", "NIT-2023-VIII.1", 2023), ("NIT-2022-VI.1", None, 2023)]


def credit_code() -> str:
    return ("T" + uuid.uuid4().hex.upper())[:18]


def ensure_year(session: Session, year: int, goals: dict) -> None:
    if session.get(CatalogYear, year) is None:
        session.add(
            CatalogYear(
                year=year,
                title=f"{year} 测试目录",
                source="tests",
                file_sha256="0" * 64,
                published_by="tests",
            )
        )
        session.flush()
    for code, (lst, number, indicators) in goals.items():
        goal = session.execute(select(Goal).where(Goal.code == code)).scalar_one_or_none()
        if goal is None:
            goal = Goal(
                year=year,
                code=code,
                code_as_published=code,
                list=lst,
                number=number,
                title=code,
                title_en=code,
                summary="",
                direction="higher",
            )
            session.add(goal)
            session.flush()
        for seq, (suffix, kind) in enumerate(indicators, start=1):
            icode = f"{code}.{suffix}"
            if session.execute(select(Indicator.id).where(Indicator.code == icode)).first() is None:
                session.add(
                    Indicator(
                        goal_id=goal.id,
                        year=year,
                        code=icode,
                        seq=seq,
                        name=icode,
                        name_en=icode,
                        kind=kind,
                        numerator="n",
                        denominator="d",
                        unit="%",
                        multiplier=100,
                        direction="higher",
                    )
                )
    session.flush()


def indicator_id(session: Session, code: str) -> int:
    return session.execute(select(Indicator.id).where(Indicator.code == code)).scalar_one()


def ensure_catalog(session: Session) -> None:
    for year, goals in GOALS.items():
        ensure_year(session, year, goals)
    for src, dst, year in LINEAGE:
        src_id = indicator_id(session, src)
        exists = session.execute(
            select(IndicatorLineage.id).where(
                IndicatorLineage.from_indicator_id == src_id, IndicatorLineage.to_year == year
            )
        ).first()
        if exists is None:
            session.add(
                IndicatorLineage(
                    from_indicator_id=src_id,
                    to_indicator_id=indicator_id(session, dst) if dst else None,
                    to_year=year,
                    kinds=["renumbered" if dst else "retired"],
                    comparability="comparable" if dst else None,
                    reason="t",
                    reason_en="t",
                )
            )
    session.flush()


def add_hospital(
    session: Session, province: str, name: str = "测试医院", active: bool = True, reports_from: str = "2000Q1"
) -> int:
    """A hospital owing every quarter (test catalogs use years from 2000 on) unless ``reports_from`` says later."""
    return session.execute(
        text(
            "INSERT INTO hospitals (province_code, credit_code, name, level, grade, type, prefecture_code, beds,"
            " active, reports_from) VALUES (:p, :c, :n, '三级', '甲等', '综合', :pref, 800, :a, :r) RETURNING id"
        ),
        {
            "p": province,
            "c": credit_code(),
            "n": name,
            "pref": province[:2] + "0100",
            "a": active,
            "r": reports_from,
        },
    ).scalar_one()


def set_window(
    session: Session,
    province: str,
    quarter: str,
    *,
    opened: timedelta = timedelta(days=10),
    due: timedelta = timedelta(days=10),
    locks: timedelta = timedelta(days=20),
) -> None:
    """A window relative to now: opened ``opened`` ago, due in ``due``, locking in ``locks`` (negative = past)."""
    now = datetime.now(UTC)
    session.execute(
        text(
            "INSERT INTO submission_windows (province_code, quarter, opens_at, due_at, locks_at, set_by)"
            " VALUES (:p, :q, :o, :d, :l, 'tests') ON CONFLICT (province_code, quarter) DO UPDATE"
            " SET opens_at = excluded.opens_at, due_at = excluded.due_at, locks_at = excluded.locks_at"
        ),
        {"p": province, "q": quarter, "o": now - opened, "d": now + due, "l": now + locks},
    )


def submitter(hospital_id: int, province: str = ZJ, subject: str = "zj-submitter") -> Actor:
    return Actor(
        subject=subject,
        roles=frozenset({Role.HOSPITAL_SUBMITTER}),
        province=province,
        hospital_id=hospital_id,
    )


def provincial_admin(province: str = ZJ) -> Actor:
    return Actor(subject=f"admin-{province}", roles=frozenset({Role.PROVINCIAL_ADMIN}), province=province)


NATIONAL_ANALYST = Actor(subject="nat-analyst", roles=frozenset({Role.NATIONAL_ANALYST}))


def as_app(session: Session, actor: Actor | None) -> None:
    """Switch the test transaction to the restricted app role bound to ``actor``."""
    act_as_owner(session)
    act_as_app(session, actor)


def counts(session: Session, hospital_id: int) -> dict[str, int]:
    """Rows of every submission table for the hospital, read as the owner."""
    act_as_owner(session)
    out = {}
    for table in (
        "submissions",
        "submission_values",
        "submission_value_versions",
        "submission_events",
        "idempotency_keys",
    ):
        out[table] = session.execute(
            text(f"SELECT count(*) FROM {table} WHERE hospital_id = :h"), {"h": hospital_id}
        ).scalar_one()
    out["audit_log"] = session.execute(
        text("SELECT count(*) FROM audit_log WHERE entity LIKE 'submission%'")
    ).scalar_one()
    return out
