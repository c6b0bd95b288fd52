"""Write the demo's quarterly values as if hospitals had submitted them and QC centers reviewed them.

Bulk inserts as the owner (the demo is seed data), with the same shape the submission service
writes: header, current values, version history, status events, specialty assignments. Every row
names the synthetic actor that "made" it.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from services.catalog.rules import code_sort_key
from services.core.quarter import Quarter
from services.demo.registry_data import DemoHospital, demo_hospitals
from services.demo.values import (
    GENERIC,
    NESTED,
    PROFILE,
    SPECIALTY_GOALS,
    IndicatorSpec,
    demo_quarters,
    generate_values,
    reports,
    status_for,
)
from services.models import CatalogYear, Goal, GoalLineage, Indicator, IndicatorLineage
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
    """Every indicator (catalog order), withdrawn ones only where they have a hand-set profile
    (their historical values); a withdrawn indicator takes no new values."""
    rows = session.execute(
        select(
            Indicator.code,
            Indicator.id,
            Indicator.goal_id,
            Indicator.year,
            Indicator.kind,
            Indicator.direction,
            Indicator.multiplier,
            Indicator.withdrawn_revision,
        )
    ).all()
    rows = sorted(rows, key=lambda r: code_sort_key(r.code))
    return {
        r.code: (r.id, r.goal_id, IndicatorSpec(r.code, r.year, r.kind, r.direction, r.multiplier))
        for r in rows
        if r.withdrawn_revision is None or r.code in PROFILE
    }


def _predecessors(
    session: Session,
    model: type[IndicatorLineage],
    table: type[Indicator],
    from_col: InstrumentedAttribute[int | None],
    to_col: InstrumentedAttribute[int | None],
) -> dict[str, str]:
    """target code → one source code, for lineage edges that carry a comparable-enough quantity."""
    src, dst = aliased(table), aliased(table)
    rows = session.execute(
        select(dst.code, src.code, model.comparability)
        .select_from(model)
        .join(src, from_col == src.id)
        .join(dst, to_col == dst.id)
        .order_by(model.id)
    ).all()
    out: dict[str, str] = {}
    for target, source, _ in rows:
        out.setdefault(target, source)
    return out


def _derived(indicators: dict[str, Any], session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    """Profiles and nesting of indicators without a hand-set profile: the predecessor's along the
    lineage (so a trend continues across years), else a generic one by kind and direction."""
    pred = _predecessors(
        session,
        IndicatorLineage,
        Indicator,
        IndicatorLineage.from_indicator_id,
        IndicatorLineage.to_indicator_id,
    )
    profiles: dict[str, tuple[float, float]] = {}

    def profile(code: str, depth: int = 0) -> tuple[float, float] | None:
        if code in PROFILE:
            return PROFILE[code]
        if code in profiles:
            return profiles[code]
        source = pred.get(code)
        return profile(source, depth + 1) if source and depth < 10 else None

    for code, (_, _, spec) in indicators.items():
        if code not in PROFILE:
            found = profile(code)
            if found is not None and _kind(indicators, pred.get(code)) not in (None, spec.kind):
                found = None  # the quantity changed kind: its old profile means something else
            profiles[code] = found or GENERIC[(spec.kind, spec.direction)]
    by_source = {}
    for code in indicators:
        root = code
        for _ in range(10):
            if root in NESTED or root in NESTED.values() or root not in pred:
                break
            root = pred[root]
        by_source[code] = root
    nested = {}
    for small, large in NESTED.items():
        for code, root in by_source.items():
            if root == small and code != small:
                twin = [
                    c for c, r in by_source.items() if r == large and c.split(".")[0] == code.split(".")[0]
                ]
                if twin:
                    nested[code] = twin[0]
    return profiles, nested


def _kind(indicators: dict[str, Any], code: str | None) -> str | None:
    return indicators[code][2].kind if code in indicators else None


def _specialty_goals(session: Session) -> list[str]:
    """The demo's specialty goals (2023) and their successors in later years, along the lineage."""
    src, dst = aliased(Goal), aliased(Goal)
    edges = session.execute(
        select(src.code, dst.code)
        .select_from(GoalLineage)
        .join(src, GoalLineage.from_goal_id == src.id)
        .join(dst, GoalLineage.to_goal_id == dst.id)
    ).all()
    found, frontier = set(SPECIALTY_GOALS), set(SPECIALTY_GOALS)
    while frontier:
        frontier = {b for a, b in edges if a in frontier} - found
        found |= frontier
    specialty = set(session.scalars(select(Goal.code).where(Goal.list == "specialty")))
    return sorted(found & specialty, key=code_sort_key)


def _applicability(session: Session, hospitals: list[DemoHospital], ids: dict[str, int]) -> None:
    goals = dict(session.execute(select(Goal.code, Goal.id)).all())
    national = session.execute(select(Goal.code, Goal.id).where(Goal.list == "national")).all()
    specialty = _specialty_goals(session)
    rows = []
    for h in hospitals:
        base = {"province_code": h.province, "hospital_id": ids[h.key], "indicator_id": None}
        for code in specialty:
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


def _headers(
    session: Session, hospitals: list[DemoHospital], ids: dict[str, int], quarters: list[Quarter]
) -> dict[tuple[int, str], Any]:
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


def _events(session: Session, headers: dict[tuple[int, str], Any]) -> None:
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
    profiles, nested = _derived(indicators, session)
    specialty = set(_specialty_goals(session))
    goal_codes = dict(session.execute(select(Goal.id, Goal.code)).all())
    goal_lists = dict(session.execute(select(Goal.code, Goal.list)).all())
    specs = [
        spec
        for _, goal_id, spec in indicators.values()
        if goal_lists[goal_codes[goal_id]] == "national" or goal_codes[goal_id] in specialty
    ]
    years = list(session.scalars(select(CatalogYear.year)))
    values = generate_values(
        hospitals, specs, quarters=demo_quarters(years), profiles=profiles, nested=nested
    )
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
