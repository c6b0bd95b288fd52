"""Reading submissions: current values with status and version, value history, events."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.errors import NotFound
from services.core.quarter import Quarter
from services.models import Submission, SubmissionEvent
from services.submission import repository as repo
from services.submission.access import hospital_for, specialty_goal_ids
from services.submission.schemas import EventRead, Status, SubmissionRead, ValueRead, ValueVersionRead


def value_reads(session: Session, submission_id: int, goal_ids: set[int] | None = None) -> list[ValueRead]:
    rows = repo.current_values(session, submission_id)
    if goal_ids is not None:
        infos = repo.indicators_by_code(session, rows)
        rows = {c: r for c, r in rows.items() if infos[c].goal_id in goal_ids}
    return [
        ValueRead(
            indicator=code,
            numerator=r.numerator,
            denominator=r.denominator,
            comment=r.comment,
            version=r.version,
            no_cases=r.denominator == 0,
        )
        for code, r in rows.items()
    ]


def _read(header: Submission, values: list[ValueRead]) -> SubmissionRead:
    return SubmissionRead(
        hospital_id=header.hospital_id,
        quarter=header.quarter,
        catalog_year=header.catalog_year,
        status=cast(Status, header.status),  # the column's CHECK constraint allows only these
        version=header.version,
        late=header.late,
        first_submitted_at=header.first_submitted_at,
        submitted_at=header.submitted_at,
        reviewed_at=header.reviewed_at,
        reviewed_by=header.reviewed_by,
        review_comment=header.review_comment,
        reopened_at=header.reopened_at,
        values=values,
    )


def submission_read(session: Session, actor: Actor, header: Submission) -> SubmissionRead:
    goal_ids = specialty_goal_ids(session, actor, "submission.read")
    return _read(header, value_reads(session, header.id, goal_ids))


def get_submission(session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter) -> SubmissionRead:
    """Current values, status and version (version 0 and no values when nothing was sent yet)."""
    hospital = hospital_for(session, actor, hospital_id, "submission.read")
    header = repo.load_header(session, actor, hospital.id, quarter)
    if header is None:
        empty = Submission(
            hospital_id=hospital.id,
            quarter=str(quarter),
            catalog_year=quarter.year,
            status="draft",
            version=0,
            late=False,
            review_comment="",
        )
        return _read(empty, [])
    return submission_read(session, actor, header)


def _header_or_404(session: Session, actor: Actor, hospital_id: int, quarter: Quarter) -> Submission:
    hospital = hospital_for(session, actor, hospital_id, "submission.read")
    header = repo.load_header(session, actor, hospital.id, quarter)
    if header is None:
        raise NotFound(
            f"医院 {hospital_id} 尚无 {quarter} 上报 / hospital {hospital_id} has no {quarter} submission"
        )
    return header


def value_history(
    session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter, indicator: str | None = None
) -> list[ValueVersionRead]:
    """Every accepted version (oldest first): who, when, what, why and from which channel."""
    header = _header_or_404(session, actor, hospital_id, quarter)
    indicator_id = None
    goal_ids = specialty_goal_ids(session, actor, "submission.read")
    if indicator is not None:
        info = repo.indicators_by_code(session, [indicator]).get(indicator)
        if info is None or (goal_ids is not None and info.goal_id not in goal_ids):
            raise NotFound(
                f"未知指标 {indicator} / unknown indicator {indicator}"
            )  # another specialty's: alike
        indicator_id = info.id
    rows = repo.value_versions(session, header.id, indicator_id)
    if goal_ids is not None:
        infos = repo.indicators_by_code(session, {code for code, _ in rows})
        rows = [(c, v) for c, v in rows if infos[c].goal_id in goal_ids]
    return [ValueVersionRead.model_validate({**_columns(v), "indicator": code}) for code, v in rows]


def _columns(row: object) -> dict[str, Any]:
    names = (
        "version",
        "numerator",
        "denominator",
        "comment",
        "reason",
        "source",
        "actor_subject",
        "actor_roles",
        "client_id",
        "recorded_at",
    )
    return {n: getattr(row, n) for n in names}


def submission_events(
    session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter
) -> list[EventRead]:
    header = _header_or_404(session, actor, hospital_id, quarter)
    rows = session.execute(
        select(SubmissionEvent).where(SubmissionEvent.submission_id == header.id).order_by(SubmissionEvent.id)
    ).scalars()
    return [EventRead.model_validate(r) for r in rows]
