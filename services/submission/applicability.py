"""Which indicators each hospital must report for a catalog year.

Default: every indicator of the national goals. Specialty goals only where a QC center marks them
``required`` for the hospital. Any goal or indicator can be marked ``not_applicable`` with a reason
(e.g. no surgical department); such indicators are refused on submission and not expected.
Set by the provincial QC center, or by a specialty QC center for its own goals (audited).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor
from services.core.errors import NotFound
from services.core.schemas import StrictModel
from services.models import Goal, Indicator, IndicatorApplicability
from services.submission import repository as repo
from services.submission.access import hospital_for, specialty_goal_ids
from services.submission.validation import IndicatorInfo


class ApplicabilityIn(StrictModel):
    goal: str | None = Field(default=None, examples=["PIT-2023-37"])
    indicator: str | None = Field(default=None, examples=[None])
    status: Literal["required", "not_applicable"] = Field(examples=["required"])
    reason: str = Field(
        default="", max_length=2000, examples=["本院设有重症医学科 / the hospital runs an ICU"]
    )

    @model_validator(mode="after")
    def _one_target(self) -> ApplicabilityIn:
        if (self.goal is None) == (self.indicator is None):
            raise ValueError("请指定 goal 或 indicator 之一 / name exactly one of goal or indicator")
        if self.status == "not_applicable" and not self.reason.strip():
            raise ValueError("标记不适用须说明原因 / not_applicable needs a reason")
        return self


class ApplicabilityRead(BaseModel):
    hospital_id: int
    goal: str
    indicator: str | None
    status: str
    reason: str
    set_by: str
    set_at: datetime


def _target(session: Session, item: ApplicabilityIn) -> tuple[Goal, Indicator | None]:
    if item.indicator is not None:
        row = session.execute(
            select(Indicator, Goal)
            .join(Goal, Goal.id == Indicator.goal_id)
            .where(Indicator.code == item.indicator)
        ).first()
        if row is None:
            raise NotFound(f"未知指标 {item.indicator} / unknown indicator {item.indicator}")
        return row[1], row[0]
    goal = session.execute(select(Goal).where(Goal.code == item.goal)).scalar_one_or_none()
    if goal is None:
        raise NotFound(f"未知目标 {item.goal} / unknown goal {item.goal}")
    return goal, None


def set_applicability(
    session: Session, actor: Actor, *, hospital_id: int, item: ApplicabilityIn
) -> ApplicabilityRead:
    hospital = hospital_for(session, actor, hospital_id, "review.decide")
    goal, indicator = _target(session, item)
    allowed = specialty_goal_ids(session, actor, "review.decide")
    if allowed is not None and goal.id not in allowed:
        # another specialty's goal answers like an unknown one (cross-specialty = nonexistent)
        raise NotFound(f"未知目标 {goal.code} / unknown goal {goal.code}")
    row = session.execute(
        select(IndicatorApplicability)
        .where(
            IndicatorApplicability.hospital_id == hospital.id,
            IndicatorApplicability.goal_id == goal.id,
            IndicatorApplicability.indicator_id.is_(None)
            if indicator is None
            else IndicatorApplicability.indicator_id == indicator.id,
        )
        .with_for_update()
    ).scalar_one_or_none()
    before = None if row is None else {"status": row.status, "reason": row.reason}
    if row is None:
        row = IndicatorApplicability(
            province_code=hospital.province_code,
            hospital_id=hospital.id,
            goal_id=goal.id,
            indicator_id=indicator.id if indicator else None,
        )
        session.add(row)
    row.status, row.reason, row.set_by = item.status, item.reason.strip(), actor.subject
    session.flush()
    audit.record(
        session,
        actor,
        action="applicability.set",
        entity="indicator_applicability",
        entity_id=row.id,
        before=before,
        after={"target": item.indicator or item.goal, "status": row.status, "reason": row.reason},
        reason=row.reason,
        province_code=hospital.province_code,
    )
    session.refresh(row)
    return _read(row, goal.code, indicator.code if indicator else None)


def _read(row: IndicatorApplicability, goal: str, indicator: str | None) -> ApplicabilityRead:
    return ApplicabilityRead(
        hospital_id=row.hospital_id,
        goal=goal,
        indicator=indicator,
        status=row.status,
        reason=row.reason,
        set_by=row.set_by,
        set_at=row.set_at,
    )


def list_applicability(session: Session, actor: Actor, *, hospital_id: int) -> list[ApplicabilityRead]:
    hospital = hospital_for(session, actor, hospital_id, "submission.read")
    rows = session.execute(
        select(IndicatorApplicability, Goal.code, Indicator.code)
        .join(Goal, Goal.id == IndicatorApplicability.goal_id)
        .outerjoin(Indicator, Indicator.id == IndicatorApplicability.indicator_id)
        .where(IndicatorApplicability.hospital_id == hospital.id)
        .order_by(Goal.code, Indicator.code)
    ).all()
    mine = specialty_goal_ids(session, actor, "submission.read")  # specialty QC staff: their goals only
    return [_read(r, g, i) for r, g, i in rows if mine is None or r.goal_id in mine]


def expected_for(infos: list[IndicatorInfo], rows: list[IndicatorApplicability]) -> list[IndicatorInfo]:
    """Pure: the indicators a hospital must report, given the year's indicators and its rows."""
    if not rows:  # most hospitals: the national goals, nothing of their own (a province asks ~500 times)
        return [i for i in infos if i.goal_list == "national"]
    status = {(r.goal_id, r.indicator_id): r.status for r in rows}

    def decide(info: IndicatorInfo) -> bool:
        own = status.get((info.goal_id, info.id)) or status.get((info.goal_id, None))
        if own is not None:
            return own == "required"
        return info.goal_list == "national"

    return [i for i in infos if decide(i)]


def expected_indicators(session: Session, hospital_id: int, year: int) -> list[IndicatorInfo]:
    infos = list(repo.year_indicators(session, year).values())
    return expected_for(infos, repo.applicability_rows(session, hospital_id))
