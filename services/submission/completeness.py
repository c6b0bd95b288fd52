"""Completeness of a quarter: expected vs received vs approved, on time / late / missing,
per hospital and per indicator. Provinces see their own hospitals; national staff every province."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import BigInteger, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.quarter import Quarter
from services.models import (
    Hospital,
    Indicator,
    IndicatorApplicability,
    Province,
    Submission,
    SubmissionValue,
)
from services.registry.queries import hospitals_stmt, not_found, owes_quarter
from services.submission import ports
from services.submission import repository as repo
from services.submission.access import specialty_goal_ids
from services.submission.applicability import expected_for


class HospitalCompleteness(BaseModel):
    hospital_id: int
    hospital_name: str
    province_code: str
    status: str  # missing | draft | submitted | returned | approved
    timeliness: str  # on_time | late | missing
    expected: int
    received: int
    missing_indicators: list[str]


class IndicatorCompleteness(BaseModel):
    indicator: str
    expected: int  # hospitals that must report it
    received: int
    approved: int


class CompletenessReport(BaseModel):
    quarter: str
    province_code: str | None
    hospitals_expected: int
    hospitals_received: int
    hospitals_approved: int
    on_time: int
    late: int
    missing: int
    hospitals: list[HospitalCompleteness]
    indicators: list[IndicatorCompleteness]


def _loaded(
    session: Session, actor: Actor, quarter: Quarter, province_code: str | None
) -> tuple[
    list[Hospital], dict[int, Submission], dict[int, set[str]], dict[int, list[IndicatorApplicability]]
]:
    submitted = (
        select(Submission.id)
        .where(
            Submission.hospital_id == Hospital.id,
            Submission.province_code == Hospital.province_code,
            Submission.quarter == str(quarter),
        )
        .exists()
    )
    stmt = hospitals_stmt(actor).where(owes_quarter(quarter) | submitted)  # owing it, or reporting anyway
    if province_code:
        stmt = stmt.where(Hospital.province_code == province_code)
    hospitals = list(session.execute(stmt.order_by(Hospital.province_code, Hospital.id)).scalars())
    ids = [h.id for h in hospitals]
    headers = {
        s.hospital_id: s
        for s in session.execute(
            select(Submission).where(Submission.hospital_id.in_(ids), Submission.quarter == str(quarter))
        ).scalars()
    }
    codes = dict(session.execute(select(Indicator.id, Indicator.code)).all())
    received: dict[int, set[str]] = {}
    # One row per submission with its indicator ids (not one per value: a province has ~30,000).
    for hospital_id, indicator_ids in session.execute(
        select(SubmissionValue.hospital_id, func.array_agg(SubmissionValue.indicator_id))
        .where(
            SubmissionValue.submission_id
            == func.any(
                bindparam("submission_ids", [s.id for s in headers.values()], type_=ARRAY(BigInteger))
            )
        )
        .group_by(SubmissionValue.hospital_id)
    ).all():
        received.setdefault(hospital_id, set()).update(codes[i] for i in indicator_ids)
    rules: dict[int, list[IndicatorApplicability]] = {}
    for row in session.execute(
        select(IndicatorApplicability).where(IndicatorApplicability.hospital_id.in_(ids))
    ).scalars():
        rules.setdefault(row.hospital_id, []).append(row)
    return hospitals, headers, received, rules


def _check_province(session: Session, actor: Actor, province_code: str | None) -> None:
    """Another province (or one that does not exist) answers 404, like every out-of-scope read:
    an empty report ("0 hospitals expected") would pass for a real answer about that province."""
    if province_code is None:
        return
    mine = actor.is_national or province_code == actor.province
    if not mine or session.get(Province, province_code) is None:
        raise not_found("province", province_code)


def completeness(
    session: Session, actor: Actor, *, quarter: Quarter, province_code: str | None = None
) -> CompletenessReport:
    ports.require(actor, "submission.read")
    _check_province(session, actor, province_code)
    hospitals, headers, received, rules = _loaded(session, actor, quarter, province_code)
    infos = list(repo.year_indicators(session, quarter.year).values())
    mine = specialty_goal_ids(session, actor, "submission.read")
    if mine is not None:  # specialty QC staff: their specialty's indicators only
        infos = [i for i in infos if i.goal_id in mine]
    per_indicator = {
        i.code: IndicatorCompleteness(indicator=i.code, expected=0, received=0, approved=0) for i in infos
    }
    rows = []
    for h in hospitals:
        header, got = headers.get(h.id), received.get(h.id, set())
        expected = [i.code for i in expected_for(infos, rules.get(h.id, []))]
        sent = header is not None and header.first_submitted_at is not None
        for code in expected:
            per_indicator[code].expected += 1
            per_indicator[code].received += code in got
            per_indicator[code].approved += code in got and header is not None and header.status == "approved"
        rows.append(
            HospitalCompleteness(
                hospital_id=h.id,
                hospital_name=h.name,
                province_code=h.province_code,
                status=header.status if header else "missing",
                timeliness=("late" if header.late else "on_time")
                if header is not None and sent
                else "missing",
                expected=len(expected),
                received=len([c for c in expected if c in got]),
                missing_indicators=[c for c in expected if c not in got],
            )
        )
    return CompletenessReport(
        quarter=str(quarter),
        province_code=province_code or actor.province,
        hospitals_expected=len(rows),
        hospitals_received=sum(r.timeliness != "missing" for r in rows),
        hospitals_approved=sum(r.status == "approved" for r in rows),
        on_time=sum(r.timeliness == "on_time" for r in rows),
        late=sum(r.timeliness == "late" for r in rows),
        missing=sum(r.timeliness == "missing" for r in rows),
        hospitals=rows,
        indicators=[i for i in per_indicator.values() if i.expected],
    )
