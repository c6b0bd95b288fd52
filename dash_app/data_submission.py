"""Writes from the dashboards: a hospital's quarterly values (entered or uploaded), the review queue's
decisions, networks and submission windows. Same services and unit of work as the API; every write
names the session's actor. Validation problems come back as data for the page to show inline."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError as PydanticValidationError

from dash_app.form_errors import problems_of
from services.core.actor import Actor
from services.core.db import Database
from services.core.errors import DomainError, PermissionDenied, ValidationFailed
from services.core.quarter import CHINA, Quarter
from services.registry.networks import list_memberships, list_networks
from services.registry.queries import load_hospital
from services.submission import repository as repo
from services.submission import review, windows
from services.submission.applicability import expected_for
from services.submission.io_service import detect_kind, submit_upload, template_for
from services.submission.schemas import ValueIn
from services.submission.service import submit


def form_rows(db: Database, actor: Actor, hospital_id: int, quarter: Quarter) -> list[dict]:
    """Every indicator of the quarter's catalog with the values on record and what it asks of the
    hospital (``status``): ``required``; ``optional`` (a specialty goal the hospital was not asked
    for: it may still report it); ``not_applicable`` with the QC center's ``reason``."""
    from dash_app.data import check_hospital_reach, submission_status

    check_hospital_reach(actor, hospital_id)
    current = {v["indicator"]: v for v in submission_status(db, actor, hospital_id, quarter)["values"]}
    with db.unit_of_work(actor) as session:
        hospital = load_hospital(session, actor, hospital_id)
        infos = repo.year_indicators(session, quarter.year)
        skipped = repo.not_applicable_reasons(session, hospital.id, infos.values())
        required = {
            i.code for i in expected_for(list(infos.values()), repo.applicability_rows(session, hospital.id))
        }
        return [
            {
                "indicator": code,
                "numerator": current.get(code, {}).get("numerator"),
                "denominator": current.get(code, {}).get("denominator"),
                "status": "not_applicable"
                if code in skipped
                else "required"
                if code in required
                else "optional",
                "reason": skipped.get(code),
            }
            for code in infos
        ]


def _own(hospital_id: int | None) -> int:
    """The signed-in user's hospital: the submission page's actions are a hospital user's only."""
    if hospital_id is None:
        raise PermissionDenied("只有医院用户可以填报 / only hospital users submit values")
    return hospital_id


def outcome(call) -> dict:  # noqa: ANN001
    """{"ok": result} or {"problems": [...], "detail": message} — never raises a domain error."""
    try:
        return {"ok": call().model_dump(mode="json")}
    except ValidationFailed as exc:
        problems = [p if isinstance(p, dict) else p.model_dump() for p in exc.problems]
        return {"detail": exc.detail, "problems": problems}
    except DomainError as exc:
        return {"detail": exc.detail, "problems": []}
    except PydanticValidationError as exc:  # a value of the wrong shape (e.g. a fraction as a count)
        problems = problems_of(exc)
        return {"detail": "；".join(dict.fromkeys(p["problem"] for p in problems)), "problems": []}
    except ValueError as exc:
        return {"detail": str(exc).splitlines()[0], "problems": []}


def submit_values(
    db: Database,
    actor: Actor,
    *,
    hospital_id: int | None,
    quarter: Quarter,
    values: list[dict],
    reason: str | None,
    dry_run: bool,
) -> dict:
    def call():  # noqa: ANN202
        parsed = [ValueIn(**v) for v in values]
        with db.unit_of_work(actor) as session:
            return submit(
                session,
                actor,
                hospital_id=_own(hospital_id),
                quarter=quarter,
                values=parsed,
                source="page",
                dry_run=dry_run,
                reason=reason or None,
            )

    if not values:
        return {"detail": "没有填写任何数据 / nothing was entered", "problems": []}
    return outcome(call)


def upload(
    db: Database,
    actor: Actor,
    *,
    hospital_id: int | None,
    quarter: Quarter,
    content: bytes,
    filename: str,
    dry_run: bool,
    reason: str | None = None,
) -> dict:
    def call():  # noqa: ANN202
        kind = detect_kind(None, filename, content[:8])
        with db.unit_of_work(actor) as session:
            return submit_upload(
                session,
                actor,
                hospital_id=_own(hospital_id),
                quarter=quarter,
                data=content,
                kind=kind,
                dry_run=dry_run,
                reason=reason or None,
            )

    return outcome(call)


def template(db: Database, actor: Actor, *, hospital_id: int | None, quarter: Quarter, kind: str) -> bytes:
    """The quarter's template with the values on record filled in (blank where nothing was sent)."""
    with db.unit_of_work(actor) as session:
        return template_for(
            session, actor, hospital_id=_own(hospital_id), quarter=quarter, kind=kind, prefill=True
        )


def queue(db: Database, actor: Actor, quarter: Quarter | None = None) -> list[dict]:
    with db.unit_of_work(actor) as session:
        return [item.model_dump(mode="json") for item in review.review_queue(session, actor, quarter=quarter)]


def decide(
    db: Database, actor: Actor, *, hospital_id: int, quarter: Quarter, approve: bool, comment: str
) -> dict:
    def call():  # noqa: ANN202
        with db.unit_of_work(actor) as session:
            if approve:
                return review.approve(
                    session, actor, hospital_id=hospital_id, quarter=quarter, comment=comment
                )
            return review.return_submission(
                session, actor, hospital_id=hospital_id, quarter=quarter, comment=comment
            )

    return outcome(call)


def networks(db: Database, actor: Actor) -> list[dict]:
    with db.unit_of_work(actor) as session:
        rows = list_networks(session, actor)
        return [
            {
                "id": n.id,
                "name": n.name,
                "kind": n.kind,
                "province_code": n.province_code or "全国",
                "active": n.active,
                "members": len(list_memberships(session, actor, network_id=n.id)),
            }
            for n in rows
        ]


def in_china_time(window: windows.WindowRead) -> windows.WindowRead:
    """The window with its times in China Standard Time (the database answers in UTC): the page
    shows and edits dates as people in China read them, so a save never moves a date."""
    times = {k: getattr(window, k).astimezone(CHINA) for k in ("opens_at", "due_at", "locks_at")}
    return window.model_copy(update=times)


def window(db: Database, actor: Actor, quarter: Quarter, province: str | None = None) -> dict:
    with db.unit_of_work(actor) as session:
        found = windows.get_window(session, actor, quarter=quarter, province_code=province)
        return in_china_time(found).model_dump(mode="json")


def set_window(
    db: Database,
    actor: Actor,
    *,
    quarter: Quarter,
    opens_at: str,
    due_at: str,
    locks_at: str,
    province: str | None = None,
) -> dict:
    def call():  # noqa: ANN202
        value = windows.WindowIn(
            opens_at=_at(opens_at, "opens_at", "开放"),
            due_at=_at(due_at, "due_at", "截止"),
            locks_at=_at(locks_at, "locks_at", "锁定"),
            province_code=province,
        )
        with db.unit_of_work(actor) as session:
            return in_china_time(windows.set_window(session, actor, quarter=quarter, window=value))

    return outcome(call)


def _at(text: str, field: str, label: str) -> datetime:
    """A date (YYYY-MM-DD) or date-time from the form, in China time when no zone is given."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(
            f"{label}时间应为日期 YYYY-MM-DD（例如 2024-04-01），收到“{text}” / {field}: expected a date "
            f"YYYY-MM-DD (e.g. 2024-04-01), got {text!r}",
            problems=[{"field": field, "code": "bad_date"}],
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=CHINA)
