"""The events that make notifications, each called where the event happens (in its transaction) or
by a periodic job. Every call is safe to repeat: the dedup key names the event."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.quarter import CHINA, Quarter
from services.models import (
    FlagSnapshot,
    FlagSnapshotEntry,
    Hospital,
    Province,
    Submission,
    SubmissionEvent,
    SubmissionWindow,
)
from services.notification.record import record
from services.registry.queries import owes_quarter

# a quarter's data counts as handed in once submitted (or approved); draft and returned still owe
HANDED_IN = ("submitted", "approved")


def _cst(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _hospital_name(session: Session, hospital_id: int) -> str:
    hospital = session.get(Hospital, hospital_id)  # the request loaded it already: no statement then
    return hospital.name if hospital is not None else f"#{hospital_id}"


def on_transition(session: Session, header: Submission, event: SubmissionEvent) -> None:
    """A submission returned (to the hospital) or a correction awaiting review (to the QC center)."""
    returned = event.action == "return"
    awaiting = event.to_status == "submitted" and (
        event.from_status == "returned" or event.action == "correct"
    )
    if not (returned or awaiting):
        return  # a first submission notifies nobody: not even the hospital's name is read
    base = {
        "hospital_id": header.hospital_id,
        "hospital_name": _hospital_name(session, header.hospital_id),
        "quarter": header.quarter,
        "version": header.version,
        "submission_id": header.id,
    }
    if returned:
        record(
            session,
            kind="submission_returned",
            dedup_key=f"submission_returned:{header.id}:v{header.version}",
            province_code=header.province_code,
            hospital_id=header.hospital_id,
            payload={**base, "comment": event.comment or "—"},
        )
    else:
        record(
            session,
            kind="correction_awaiting_review",
            dedup_key=f"correction_awaiting_review:{header.id}:v{header.version}",
            province_code=header.province_code,
            audience="qc_center",
            payload=base,
        )


def flags_frozen(session: Session, snapshot: FlagSnapshot) -> int:
    """New flags of a frozen quarter: each hospital hears of its own, the QC center of all. Returns
    how many notifications were recorded."""
    rows = session.execute(
        select(FlagSnapshotEntry.hospital_id, FlagSnapshotEntry.kind).where(
            FlagSnapshotEntry.snapshot_id == snapshot.id,
            FlagSnapshotEntry.province_code == snapshot.province_code,
        )
    ).all()
    if not rows:
        return 0
    by_hospital: dict[int, Counter[str]] = {}
    for hospital_id, kind in rows:
        by_hospital.setdefault(hospital_id, Counter())[kind] += 1
    names = dict(
        session.execute(select(Hospital.id, Hospital.name).where(Hospital.id.in_(by_hospital))).all()
    )
    made = 0
    common = {"quarter": snapshot.quarter, "scope": snapshot.scope, "snapshot_id": snapshot.id}
    for hospital_id, kinds in sorted(by_hospital.items()):
        name = names.get(hospital_id, f"#{hospital_id}")
        made += (
            record(
                session,
                kind="flags_frozen",
                dedup_key=f"flags_frozen:{snapshot.id}:{hospital_id}",
                province_code=snapshot.province_code,
                hospital_id=hospital_id,
                payload={
                    **common,
                    "hospital_id": hospital_id,
                    "who": name,
                    "who_en": name,
                    "count": sum(kinds.values()),
                    "kinds": ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
                },
            )
            is not None
        )
    total: Counter[str] = sum(by_hospital.values(), Counter())
    made += (
        record(
            session,
            kind="flags_frozen",
            dedup_key=f"flags_frozen:{snapshot.id}:qc_center",
            province_code=snapshot.province_code,
            audience="qc_center",
            payload={
                **common,
                "who": f"{snapshot.scope}（{len(by_hospital)} 家医院）",
                "who_en": f"{snapshot.scope} ({len(by_hospital)} hospitals)",
                "count": sum(total.values()),
                "kinds": ", ".join(f"{k} {n}" for k, n in sorted(total.items())),
            },
        )
        is not None
    )
    return made


def catalog_published(session: Session, *, year: int, revision: int) -> None:
    record(
        session,
        kind="catalog_published",
        dedup_key=f"catalog_published:{year}:r{revision}",
        province_code=None,
        audience="all",
        payload={"year": year, "revision": revision},
    )


def owing_hospitals(session: Session, province_code: str, quarter: Quarter) -> list[tuple[int, str]]:
    """(id, name) of the province's hospitals that owe ``quarter`` and have not handed it in."""
    handed_in = (
        select(Submission.id)
        .where(
            Submission.hospital_id == Hospital.id,
            Submission.province_code == Hospital.province_code,
            Submission.quarter == str(quarter),
            Submission.status.in_(HANDED_IN),
        )
        .exists()
    )
    stmt = (
        select(Hospital.id, Hospital.name)
        .where(Hospital.province_code == province_code, Hospital.active, owes_quarter(quarter), ~handed_in)
        .order_by(Hospital.id)
    )
    return [(i, n) for i, n in session.execute(stmt).all()]


def _open_windows(session: Session, at: datetime) -> list[tuple[str, Quarter, datetime, datetime]]:
    """(province, quarter, opens_at, due_at) of every onboarded province's window open at ``at``: the
    default windows of the last quarters, and any configured window (an old quarter opened late)."""
    from services.submission.windows import effective_window

    provinces = session.scalars(
        select(Province.code).where(Province.onboarded_at.is_not(None), Province.offboarded_at.is_(None))
    ).all()
    last = Quarter.containing(at.astimezone(CHINA).date())
    candidates = {
        (code, q) for code in provinces for q in (last, last.previous(), last.previous().previous())
    }
    configured = session.execute(
        select(SubmissionWindow.province_code, SubmissionWindow.quarter).where(
            SubmissionWindow.opens_at <= at, SubmissionWindow.due_at > at
        )
    ).all()
    candidates |= {(code, Quarter.parse(q)) for code, q in configured if code in set(provinces)}
    out = []
    for code, quarter in sorted(candidates, key=lambda c: (c[0], str(c[1]))):
        window = effective_window(session, code, quarter)
        if window.opens_at <= at < window.due_at:
            out.append((code, quarter, window.opens_at, window.due_at))
    return out


def due_reminders(session: Session, *, at: datetime, days: list[int]) -> int:
    """Remind each hospital that owes a quarter due within ``days`` (the nearest step only)."""
    made = 0
    for province, quarter, _opens, due in _open_windows(session, at):
        steps = [d for d in sorted(days) if at >= due - timedelta(days=d)]
        if not steps:
            continue
        step = steps[0]
        for hospital_id, name in owing_hospitals(session, province, quarter):
            made += (
                record(
                    session,
                    kind="due_soon",
                    dedup_key=f"due_soon:{hospital_id}:{quarter}:{step}d",
                    province_code=province,
                    hospital_id=hospital_id,
                    payload={
                        "hospital_id": hospital_id,
                        "hospital_name": name,
                        "quarter": str(quarter),
                        "days": step,
                        "due_at": _cst(due),
                    },
                )
                is not None
            )
    return made


def windows_opened(session: Session, *, at: datetime) -> int:
    """Tell each hospital that owes a quarter that its window is open (once per hospital × quarter)."""
    made = 0
    for province, quarter, _opens, due in _open_windows(session, at):
        for hospital_id, name in owing_hospitals(session, province, quarter):
            made += (
                record(
                    session,
                    kind="window_opened",
                    dedup_key=f"window_opened:{hospital_id}:{quarter}",
                    province_code=province,
                    hospital_id=hospital_id,
                    payload={
                        "hospital_id": hospital_id,
                        "hospital_name": name,
                        "quarter": str(quarter),
                        "due_at": _cst(due),
                    },
                )
                is not None
            )
    return made
