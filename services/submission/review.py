"""Review: the provincial QC center (or a specialty QC center, for submissions carrying its goals)
approves or returns a hospital's quarter. Approved quarters are locked for the hospital; returned
ones are corrected and resubmitted. Reopening after the lock is in :func:`reopen`.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor, Role
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.models import Goal, Hospital, Indicator, Submission, SubmissionValue
from services.submission import ports
from services.submission import repository as repo
from services.submission.access import hospital_for, specialty_goal_ids
from services.submission.errors import ApprovalOutsideSpecialty, InvalidTransition
from services.submission.events import transition
from services.submission.reads import submission_read
from services.submission.review_changes import LatestWrite, latest_writes
from services.submission.schemas import SubmissionRead
from services.submission.service import check_version, new_header
from services.submission.windows import effective_window, now


class QueueItem(BaseModel):
    hospital_id: int
    hospital_name: str
    province_code: str
    quarter: str
    version: int
    late: bool
    submitted_at: str | None
    latest: LatestWrite | None = None  # the values of the latest write, before → after, and its reason


def _locked_header(
    session: Session,
    actor: Actor,
    hospital_id: int,
    quarter: Quarter,
    action: str,
    expected_version: int | None,
) -> Submission:
    hospital = hospital_for(session, actor, hospital_id, action)
    repo.lock_hospital_quarter(session, hospital, quarter)
    header = repo.load_header(session, actor, hospital.id, quarter, for_update=True)
    if header is None:
        raise NotFound(
            f"医院 {hospital_id} 尚无 {quarter} 上报 / hospital {hospital_id} has no {quarter} submission"
        )
    check_version(header, expected_version)
    return header


def _value_goals(session: Session, header: Submission) -> dict[int, str]:
    """Goal id → goal code of every value the submission holds."""
    rows = session.execute(
        select(Goal.id, Goal.code)
        .join(Indicator, Indicator.goal_id == Goal.id)
        .join(SubmissionValue, SubmissionValue.indicator_id == Indicator.id)
        .where(SubmissionValue.submission_id == header.id)
        .distinct()
    ).all()
    return {goal_id: code for goal_id, code in rows}


def _check_approval_scope(session: Session, header: Submission, goal_ids: set[int]) -> None:
    """A specialty QC user approves a quarter only when every value in it belongs to its goals:
    approval locks the whole quarter, and must never lock values another specialty (or the
    provincial center) has not reviewed. Mixed quarters are approved by the provincial QC center."""
    foreign = sorted(
        code for goal_id, code in _value_goals(session, header).items() if goal_id not in goal_ids
    )
    if foreign:
        shown = "、".join(foreign[:10]) + (" …" if len(foreign) > 10 else "")
        raise ApprovalOutsideSpecialty(
            f"该季度还含有其他专业或综合目标的数值（{shown}），通过会一并锁定它们：请由省级质控中心审核通过，"
            f"专业质控中心可退回 / the quarter also holds values of goals your specialty does not own "
            f"({', '.join(foreign[:10])}); approving would lock them too: the provincial QC center approves "
            "it (your center may return it)",
            goals=foreign,
        )


def _check_specialty(session: Session, actor: Actor, header: Submission, action: str) -> None:
    goal_ids = specialty_goal_ids(session, actor, "review.decide")
    if goal_ids is None:
        return
    mine = session.execute(
        select(SubmissionValue.id)
        .join(Indicator, Indicator.id == SubmissionValue.indicator_id)
        .where(SubmissionValue.submission_id == header.id, Indicator.goal_id.in_(goal_ids))
        .limit(1)
    ).first()
    if mine is None:
        # another specialty's submission answers like a missing one (cross-specialty = nonexistent)
        raise NotFound(
            f"医院 {header.hospital_id} 尚无 {header.quarter} 上报 / "
            f"hospital {header.hospital_id} has no {header.quarter} submission"
        )
    if action == "approve":
        _check_approval_scope(session, header, set(goal_ids))


def _decide(
    session: Session,
    actor: Actor,
    *,
    hospital_id: int,
    quarter: Quarter,
    action: str,
    to_status: str,
    comment: str,
    expected_version: int | None,
) -> SubmissionRead:
    header = _locked_header(session, actor, hospital_id, quarter, "review.decide", expected_version)
    _check_specialty(session, actor, header, action)
    if header.status != "submitted":
        raise InvalidTransition(
            f"状态为 {header.status} 的上报不能{'通过' if action == 'approve' else '退回'} / "
            f"cannot {action} a submission in status {header.status!r}",
            status=header.status,
        )
    before = {"status": header.status, "version": header.version}
    header.reviewed_at, header.reviewed_by, header.review_comment = now(), actor.subject, comment
    transition(session, actor, header, action=action, to_status=to_status, comment=comment)
    audit.record(
        session,
        actor,
        action=f"submission.{action}",
        entity="submission",
        entity_id=header.id,
        before=before,
        after={"status": header.status, "version": header.version},
        reason=comment,
        province_code=header.province_code,
    )
    return submission_read(session, actor, header)


def approve(
    session: Session,
    actor: Actor,
    *,
    hospital_id: int,
    quarter: Quarter,
    comment: str = "",
    expected_version: int | None = None,
) -> SubmissionRead:
    """submitted → approved (locked for the hospital)."""
    return _decide(
        session,
        actor,
        hospital_id=hospital_id,
        quarter=quarter,
        action="approve",
        to_status="approved",
        comment=(comment or "").strip(),
        expected_version=expected_version,
    )


def return_submission(
    session: Session,
    actor: Actor,
    *,
    hospital_id: int,
    quarter: Quarter,
    comment: str,
    expected_version: int | None = None,
) -> SubmissionRead:
    """submitted → returned, with a comment saying what to correct."""
    if not (comment or "").strip():
        raise ValidationFailed(
            "退回须说明原因 / a return needs a comment saying what to correct",
            problems=[
                {
                    "field": "comment",
                    "code": "comment_required",
                    "problem": "empty",
                    "fix": "说明需更正的内容 / say what to correct",
                }
            ],
        )
    return _decide(
        session,
        actor,
        hospital_id=hospital_id,
        quarter=quarter,
        action="return",
        to_status="returned",
        comment=comment.strip(),
        expected_version=expected_version,
    )


def reopen(
    session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter, reason: str
) -> SubmissionRead:
    """After the lock (or after approval) the provincial QC admin reopens one hospital's quarter."""
    if not actor.has(Role.PROVINCIAL_ADMIN) or actor.province is None:
        raise PermissionDenied(
            "只有省级质控管理员可以重新开放 / only the provincial QC admin can reopen a quarter"
        )
    if not (reason or "").strip():
        raise ValidationFailed(
            "重新开放须说明原因 / reopening needs a reason",
            problems=[
                {
                    "field": "reason",
                    "code": "reason_required",
                    "problem": "empty",
                    "fix": "说明原因 / say why",
                }
            ],
        )
    hospital: Hospital = hospital_for(session, actor, hospital_id, "window.manage")
    repo.lock_hospital_quarter(session, hospital, quarter)
    header = repo.load_header(session, actor, hospital.id, quarter, for_update=True)
    locked = now() >= effective_window(session, hospital.province_code, quarter).locks_at
    if not locked and (header is None or header.status != "approved"):
        raise InvalidTransition(
            f"{quarter} 尚未锁定且未审核通过，无需重新开放 / {quarter} is neither locked nor "
            "approved: nothing to reopen"
        )
    header = header or new_header(session, hospital, quarter, quarter.year)
    before = {"status": header.status, "version": header.version, "reopened_at": header.reopened_at}
    header.reopened_at, header.reopened_by, header.reopen_reason = now(), actor.subject, reason.strip()
    to_status = "returned" if header.status == "approved" else header.status
    transition(session, actor, header, action="reopen", to_status=to_status, comment=reason.strip())
    audit.record(
        session,
        actor,
        action="submission.reopen",
        entity="submission",
        entity_id=header.id,
        before=before,
        after={"status": header.status, "version": header.version},
        reason=reason.strip(),
        province_code=hospital.province_code,
    )
    return submission_read(session, actor, header)


def review_queue(session: Session, actor: Actor, *, quarter: Quarter | None = None) -> list[QueueItem]:
    """Submissions awaiting a decision in the caller's scope (oldest first)."""
    ports.require(actor, "review.decide")
    stmt = (
        repo.submissions_stmt(actor)
        .add_columns(Hospital.name)
        .join(Hospital, Hospital.id == Submission.hospital_id)
        .where(Submission.status == "submitted")
    )
    if quarter is not None:
        stmt = stmt.where(Submission.quarter == str(quarter))
    goal_ids = specialty_goal_ids(session, actor, "review.decide")
    if goal_ids is not None:
        carries = (
            select(SubmissionValue.submission_id)
            .join(Indicator, Indicator.id == SubmissionValue.indicator_id)
            .where(Indicator.goal_id.in_(goal_ids))
        )
        stmt = stmt.where(Submission.id.in_(carries))
    rows = session.execute(stmt.order_by(Submission.submitted_at, Submission.id)).all()
    latest = latest_writes(session, [s.id for s, _ in rows], goal_ids)
    return [
        QueueItem(
            hospital_id=s.hospital_id,
            hospital_name=name,
            province_code=s.province_code,
            quarter=s.quarter,
            version=s.version,
            late=s.late,
            submitted_at=s.submitted_at.isoformat() if s.submitted_at else None,
            latest=latest.get(s.id),
        )
        for s, name in rows
    ]
