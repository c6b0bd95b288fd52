"""Write the demo's quarterly values as if hospitals had submitted them and QC centers reviewed them.

Bulk inserts as the owner (the demo is seed data), with the same shape the submission service
writes: header, current values, version history, status events, specialty assignments. Every row
names the synthetic actor that "made" it.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.demo.registry_data import DemoHospital, demo_hospitals
from services.demo.values import SPECIALTY_GOALS, IndicatorSpec, generate_values, reports, status_for
from services.models import Goal, Indicator
from services.models.submission import (
    IndicatorApplicability,
    Submission,
    SubmissionEvent,
    SubmissionValue,
    SubmissionValueVersion,
)

CHINA = ZoneInfo("Asia/Shanghai")
SUBMITTER_ROLES = ["hospital_system"]
REVIEWER_ROLES = ["provincial_admin"]


def _indicators(session: Session) -> dict[str, tuple[int, int, IndicatorSpec]]:
    rows = session.execute(
        select(
            Indicator.code,
            Indicator.id,
            Indicator.goal_id,
            Indicator.year,
            Indicator.kind,
            Indicator.direction,
            Indicator.multiplier,
        )
    ).all()
    return {
        r.code: (r.id, r.goal_id, IndicatorSpec(r.code, r.year, r.kind, r.direction, r.multiplier))
        for r in rows
    }


def _applicability(session: Session, hospitals: list[DemoHospital], ids: dict[str, int]) -> None:
    goals = dict(session.execute(select(Goal.code, Goal.id)).all())
    national = session.execute(select(Goal.code, Goal.id).where(Goal.list == "national")).all()
    rows = []
    for h in hospitals:
        base = {"province_code": h.province, "hospital_id": ids[h.key], "indicator_id": None}
        for code in SPECIALTY_GOALS:
            applies = reports(h, f"{code}.")
            rows.append(
                {
                    **base,
                    "goal_id": goals[code],
                    "status": "required" if applies else "not_applicable",
                    "reason": "" if applies else "本院无重症医学科 / the hospital has no intensive care unit",
                    "set_by": f"system:demo:{h.province}-qc",
                }
            )
        for code, goal_id in national:
            if not reports(h, f"{code}."):
                rows.append(
                    {
                        **base,
                        "goal_id": goal_id,
                        "status": "not_applicable",
                        "reason": "本院未开设相关诊疗科目 / the hospital offers no such service",
                        "set_by": f"system:demo:{h.province}-qc",
                    }
                )
    session.execute(insert(IndicatorApplicability), rows)


def _headers(session: Session, hospitals: list[DemoHospital], ids: dict[str, int], quarters) -> dict:  # noqa: ANN001
    rng = random.Random(5)
    rows = []
    for index, h in enumerate(hospitals):
        for quarter in quarters:
            status = status_for(index, quarter)
            if status is None:
                continue
            opens = datetime.combine(quarter.end + timedelta(days=1), time(9), CHINA)
            submitted = opens + timedelta(days=rng.randint(3, 34), hours=rng.randint(0, 8))
            reviewed = (
                submitted + timedelta(days=rng.randint(2, 9)) if status in ("approved", "returned") else None
            )
            rows.append(
                {
                    "province_code": h.province,
                    "hospital_id": ids[h.key],
                    "quarter": str(quarter),
                    "catalog_year": quarter.year,
                    "status": status,
                    "version": 2 if reviewed else 1,
                    "first_submitted_at": submitted,
                    "submitted_at": submitted,
                    "late": submitted > opens + timedelta(days=30),
                    "reviewed_at": reviewed,
                    "reviewed_by": f"system:demo:{h.province}-qc" if reviewed else None,
                    "review_comment": "数据与病案首页不一致，请核对分母 / denominator disagrees with the discharge records"
                    if status == "returned"
                    else "",
                }
            )
    result = session.execute(
        insert(Submission).returning(
            Submission.id,
            Submission.hospital_id,
            Submission.quarter,
            Submission.status,
            Submission.submitted_at,
            Submission.reviewed_at,
            Submission.province_code,
            sort_by_parameter_order=True,
        ),
        rows,
    ).all()
    return {(r.hospital_id, r.quarter): r for r in result}


def _events(session: Session, headers: dict) -> None:  # noqa: ANN001
    rows = []
    for (hospital_id, _), h in headers.items():
        base = {
            "submission_id": h.id,
            "province_code": h.province_code,
            "hospital_id": hospital_id,
            "comment": "",
        }
        rows.append(
            {
                **base,
                "action": "submit",
                "from_status": "draft",
                "to_status": "submitted",
                "submission_version": 1,
                "actor_subject": f"system:demo:his-{hospital_id}",
                "actor_roles": SUBMITTER_ROLES,
                "at": h.submitted_at,
            }
        )
        if h.reviewed_at is not None:
            action = "approve" if h.status == "approved" else "return"
            rows.append(
                {
                    **base,
                    "action": action,
                    "from_status": "submitted",
                    "to_status": h.status,
                    "submission_version": 2,
                    "actor_subject": f"system:demo:{h.province_code}-qc",
                    "actor_roles": REVIEWER_ROLES,
                    "at": h.reviewed_at,
                }
            )
    session.execute(insert(SubmissionEvent), rows)


def load_submissions(session: Session, ids: dict[str, int]) -> int:
    """Load every demo value once; a second call finds the data and does nothing (returns 0)."""
    hospitals = demo_hospitals()
    first = ids[hospitals[0].key]
    if session.scalar(select(Submission.id).where(Submission.hospital_id == first).limit(1)) is not None:
        return 0
    indicators = _indicators(session)
    values = generate_values(hospitals, [spec for _, _, spec in indicators.values()])
    quarters = sorted({v.quarter for v in values})
    _applicability(session, hospitals, ids)
    headers = _headers(session, hospitals, ids, quarters)
    _events(session, headers)
    current, history = [], []
    for v in values:
        header = headers.get((ids[v.hospital], str(v.quarter)))
        if header is None:
            continue
        indicator_id = indicators[v.indicator][0]
        row = {
            "submission_id": header.id,
            "province_code": header.province_code,
            "hospital_id": header.hospital_id,
            "indicator_id": indicator_id,
            "numerator": v.numerator,
            "denominator": v.denominator,
            "comment": None,
            "version": 1,
        }
        current.append(
            {**row, "updated_by": f"system:demo:his-{header.hospital_id}", "updated_at": header.submitted_at}
        )
        history.append(
            {
                **row,
                "reason": "",
                "source": "api",
                "actor_subject": f"system:demo:his-{header.hospital_id}",
                "actor_roles": SUBMITTER_ROLES,
                "recorded_at": header.submitted_at,
            }
        )
    session.execute(insert(SubmissionValue), current)
    session.execute(insert(SubmissionValueVersion), history)
    return len(current)
