"""Submission windows: per province and quarter, when reporting opens, is due and locks.

Without a configured window the defaults apply (China Standard Time, UTC+8):
opens 00:00 on the day after the quarter ends, due 30 days later, locks 45 days after opening.
Between due and lock a submission is accepted and marked late; after lock only the provincial QC
admin can reopen one hospital's quarter (``reopen``), with a reason, audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor
from services.core.errors import ValidationFailed
from services.core.quarter import CHINA, Quarter
from services.core.schemas import StrictModel
from services.models import Submission, SubmissionWindow
from services.submission import ports
from services.submission.errors import WindowLocked, WindowNotOpen

DUE_AFTER = timedelta(days=30)
LOCK_AFTER = timedelta(days=45)


def now() -> datetime:
    """The clock (one place, so tests can move it)."""
    return datetime.now(UTC)


def today_in_china() -> date:
    return now().astimezone(CHINA).date()


class WindowIn(StrictModel):
    opens_at: datetime = Field(examples=["2023-07-01T00:00:00+08:00"])
    due_at: datetime = Field(examples=["2023-07-31T00:00:00+08:00"])
    locks_at: datetime = Field(examples=["2023-08-15T00:00:00+08:00"])
    province_code: str | None = Field(
        default=None, examples=["330000"], description="national administrators name the province"
    )

    @model_validator(mode="after")
    def _ordered_and_zoned(self) -> WindowIn:
        if any(t.tzinfo is None for t in (self.opens_at, self.due_at, self.locks_at)):
            raise ValueError("时间必须带时区 / timestamps need a time zone, e.g. +08:00")
        if not (self.opens_at <= self.due_at <= self.locks_at):
            raise ValueError(
                "须满足 开放时间 ≤ 截止时间 ≤ 锁定时间（opens_at ≤ due_at ≤ locks_at）/ "
                "the window must open before it is due and be due before it locks (opens_at ≤ due_at ≤ locks_at)"
            )
        return self


class WindowRead(BaseModel):
    province_code: str
    quarter: str
    opens_at: datetime
    due_at: datetime
    locks_at: datetime
    is_default: bool


def default_window(province_code: str, quarter: Quarter) -> WindowRead:
    opens = datetime.combine(quarter.end + timedelta(days=1), time(0), CHINA)
    return WindowRead(
        province_code=province_code,
        quarter=str(quarter),
        opens_at=opens,
        due_at=opens + DUE_AFTER,
        locks_at=opens + LOCK_AFTER,
        is_default=True,
    )


def effective_window(session: Session, province_code: str, quarter: Quarter) -> WindowRead:
    row = session.execute(
        select(SubmissionWindow).where(
            SubmissionWindow.province_code == province_code, SubmissionWindow.quarter == str(quarter)
        )
    ).scalar_one_or_none()
    if row is None:
        return default_window(province_code, quarter)
    return WindowRead(
        province_code=province_code,
        quarter=str(quarter),
        opens_at=row.opens_at,
        due_at=row.due_at,
        locks_at=row.locks_at,
        is_default=False,
    )


def _province_for(actor: Actor, province_code: str | None) -> str:
    if actor.province is not None:
        if province_code not in (None, actor.province):
            raise ValidationFailed(
                "只能管理本省窗口 / you manage your own province's windows only",
                problems=[{"field": "province_code", "problem": "not your province"}],
            )
        return actor.province
    if not province_code:
        raise ValidationFailed(
            "请指定省份 / name the province",
            problems=[{"field": "province_code", "problem": "required for national scope"}],
        )
    return province_code


def get_window(
    session: Session, actor: Actor, *, quarter: Quarter, province_code: str | None = None
) -> WindowRead:
    ports.require(actor, "submission.read")
    return effective_window(session, _province_for(actor, province_code), quarter)


def set_window(session: Session, actor: Actor, *, quarter: Quarter, window: WindowIn) -> WindowRead:
    """Create or change a province's window for ``quarter`` (audited)."""
    ports.require(actor, "window.manage")
    province = _province_for(actor, window.province_code)
    before = effective_window(session, province, quarter)
    # Create the row if missing without failing when another request creates it at the same
    # instant (two admins racing both succeed, the last one wins), then lock it for the update.
    session.execute(
        pg_insert(SubmissionWindow)
        .values(
            province_code=province,
            quarter=str(quarter),
            opens_at=window.opens_at,
            due_at=window.due_at,
            locks_at=window.locks_at,
            set_by=actor.subject,
        )
        .on_conflict_do_nothing(index_elements=["province_code", "quarter"])
    )
    row = session.execute(
        select(SubmissionWindow)
        .where(SubmissionWindow.province_code == province, SubmissionWindow.quarter == str(quarter))
        .with_for_update()
    ).scalar_one()
    row.opens_at, row.due_at, row.locks_at = window.opens_at, window.due_at, window.locks_at
    row.set_by, row.updated_at = actor.subject, now()
    session.flush()
    after = effective_window(session, province, quarter)
    audit.record(
        session,
        actor,
        action="window.set",
        entity="submission_window",
        entity_id=f"{province}:{quarter}",
        before=before.model_dump(mode="json"),
        after=after.model_dump(mode="json"),
        province_code=province,
    )
    return after


def check_open(window: WindowRead, header: Submission | None, at: datetime) -> bool:
    """Raise unless a hospital may write now; return whether the write is late."""
    if at < window.opens_at:
        raise WindowNotOpen(
            f"{window.quarter} 上报窗口尚未开放（{window.opens_at.isoformat()} 开放）/ "
            f"the {window.quarter} window opens at {window.opens_at.isoformat()}",
            opens_at=window.opens_at.isoformat(),
        )
    reopened = header is not None and header.reopened_at is not None
    if at >= window.locks_at and not reopened:
        raise WindowLocked(
            f"{window.quarter} 已于 {window.locks_at.isoformat()} 锁定，如需更正请联系省级质控中心重新开放 / "
            f"{window.quarter} locked at {window.locks_at.isoformat()}: ask the provincial QC center to reopen it",
            locks_at=window.locks_at.isoformat(),
        )
    return at > window.due_at
