"""The one entry point for hospital data: :func:`submit`. API, CSV/XLSX/FHIR uploads and pages call it.

One call is atomic: every value is accepted or none is. Order of work:
permission and hospital scope → (writes only) a per hospital-quarter lock → Idempotency-Key replay →
If-Match version → validation (every problem at once) → new versions for changed values →
status event → audit. ``dry_run`` runs the same checks and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor
from services.core.errors import Conflict, ValidationFailed
from services.core.quarter import Quarter
from services.models import Hospital, IdempotencyKey, Submission, SubmissionValue
from services.submission import repository as repo
from services.submission.access import hospital_for, hospital_for_write
from services.submission.context import read_context
from services.submission.events import actor_roles, append_event, transition
from services.submission.planning import Plan, make_plan
from services.submission.schemas import Status, SubmissionResult, ValueIn
from services.submission.windows import now

SOURCES = ("api", "csv", "xlsx", "fhir", "page")
CONCURRENT_CORRECTION = "并发更正冲突，请重试 / a concurrent correction won: retry"
MAX_KEY = 128


def request_fingerprint(
    hospital_id: int, quarter: Quarter, values: Sequence[ValueIn], reason: str | None, source: str
) -> str:
    """SHA-256 of the request's meaning (what an Idempotency-Key retry must repeat exactly)."""
    body = {
        "hospital_id": hospital_id,
        "quarter": str(quarter),
        "source": source,
        "reason": reason or None,
        "values": [v.model_dump() for v in values],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_arguments(source: str, idempotency_key: str | None) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {SOURCES}")  # a programming error, not input
    if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_KEY):
        raise ValidationFailed(
            f"Idempotency-Key 长度须为 1–{MAX_KEY} / Idempotency-Key must be 1–{MAX_KEY} characters",
            problems=[
                {
                    "field": "Idempotency-Key",
                    "code": "bad_idempotency_key",
                    "problem": "length",
                    "fix": f"1–{MAX_KEY} characters",
                }
            ],
        )


def _replay(
    session: Session, actor: Actor, hospital: Hospital, key: str, fingerprint: str
) -> SubmissionResult | None:
    row = repo.find_idempotency_key(session, hospital.province_code, actor.subject, key)
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise Conflict(
            f"Idempotency-Key {key!r} 已用于另一个不同的请求 / Idempotency-Key {key!r} was already used "
            "with a different request: use a new key for a new request",
            idempotency_key=key,
        )
    return SubmissionResult.model_validate({**row.response, "replayed": True})


def check_version(header: Submission | None, expected: int | None) -> None:
    current = header.version if header is not None else 0
    if expected is not None and expected != current:
        raise Conflict(
            f"数据已被他人更新（当前版本 {current}，您的版本 {expected}），请重新读取后再更正 / "
            f"stale version: you sent If-Match {expected} but the submission is at version {current}; "
            "reload and correct again",
            current_version=current,
            expected_version=expected,
        )


def submit(
    session: Session,
    actor: Actor,
    *,
    hospital_id: int,
    quarter: Quarter,
    values: list[ValueIn],
    source: str,
    dry_run: bool = False,
    expected_version: int | None = None,
    reason: str | None = None,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> SubmissionResult:
    """Validate and store one hospital's values for ``quarter``; see the module docstring."""
    _check_arguments(source, idempotency_key)
    codes = [v.indicator for v in values]
    if dry_run:
        hospital = hospital_for(session, actor, hospital_id, "submission.write")
        context = read_context(session, actor, hospital, quarter, codes, for_update=False)
        check_version(context.header, expected_version)
        plan = make_plan(session, hospital, quarter, values, reason, context)
        return plan.preview(hospital, quarter, context.header)
    # the hospital and repository.lock_hospital_quarter's locks in one statement
    hospital = hospital_for_write(session, actor, hospital_id, quarter)
    if (
        idempotency_key
    ):  # one caller's key is checked and stored by one request at a time, whatever the quarter
        repo.lock_idempotency_key(session, hospital.province_code, actor.subject, idempotency_key)
    fingerprint = request_hash or request_fingerprint(hospital.id, quarter, values, reason, source)
    if idempotency_key and (replayed := _replay(session, actor, hospital, idempotency_key, fingerprint)):
        return replayed
    context = read_context(session, actor, hospital, quarter, codes, for_update=True)  # after the lock
    check_version(context.header, expected_version)
    plan = make_plan(session, hospital, quarter, values, reason, context)
    result = _apply(session, actor, hospital, quarter, plan, context.header, source=source, reason=reason)
    if idempotency_key:
        session.add(
            IdempotencyKey(
                province_code=hospital.province_code,
                hospital_id=hospital.id,
                actor_subject=actor.subject,
                key=idempotency_key,
                request_hash=fingerprint,
                response=result.model_dump(mode="json"),
            )
        )
        session.flush()
    return result


def new_header(
    session: Session, hospital: Hospital, quarter: Quarter, catalog_year: int, **state: Any
) -> Submission:
    """Insert the quarter's header (a draft at version 0 unless ``state`` says otherwise), flushed."""
    header = Submission(
        province_code=hospital.province_code,
        hospital_id=hospital.id,
        quarter=str(quarter),
        catalog_year=catalog_year,
        **({"status": "draft", "version": 0} | state),
    )
    session.add(header)
    session.flush()
    return header


def _write_values(
    session: Session, actor: Actor, header: Submission, plan: Plan, *, source: str, reason: str | None
) -> None:
    changes = plan.changes
    batch: dict[str, list[Any]] = {
        "indicator_ids": [c.info.id for c in changes],
        "versions": [c.next_version for c in changes],
        "numerators": [c.value.numerator for c in changes],
        "denominators": [c.value.denominator for c in changes],
        "comments": [c.value.comment for c in changes],
    }
    try:
        written = repo.write_values(
            session,
            header,
            batch,
            at=now(),
            by=actor.subject,
            reason=(reason or "").strip(),
            source=source,
            roles=actor_roles(actor),
            client_id=actor.client_id,
        )
    except IntegrityError as exc:  # cannot happen under the lock; never let it pass silently either
        raise Conflict(CONCURRENT_CORRECTION, constraint=str(exc.orig)) from exc
    if written != len(changes):  # a row was not at the version the plan read: the same, caught by the guard
        raise Conflict(CONCURRENT_CORRECTION, expected=len(changes), written=written)
    for row in list(session.identity_map.values()):  # loaded earlier in this session: read again when asked
        if isinstance(row, SubmissionValue) and row.__dict__.get("submission_id") == header.id:
            session.expire(row)


def _audit(
    session: Session,
    actor: Actor,
    hospital: Hospital,
    header: Submission,
    plan: Plan,
    before: dict[str, Any],
    source: str,
    reason: str,
    action: str,
) -> None:
    """The request's one audit row (with its event, in the request's transaction)."""
    audit.record(
        session,
        actor,
        action=f"submission.{action}",
        entity="submission",
        entity_id=header.id,
        before=before,
        after={
            "status": header.status,
            "version": header.version,
            "source": source,
            "changed": [c.value.indicator for c in plan.changes],
        },
        reason=reason,
        province_code=hospital.province_code,
    )


def _apply(
    session: Session,
    actor: Actor,
    hospital: Hospital,
    quarter: Quarter,
    plan: Plan,
    header: Submission | None,
    *,
    source: str,
    reason: str | None,
) -> SubmissionResult:
    values = plan.values()
    comment = (reason or "").strip()
    if header is None:  # inserted as submitted at version 1 (one INSERT, no UPDATE after it)
        at = now()
        state = {"status": "submitted", "version": 1, "first_submitted_at": at, "submitted_at": at}
        header = new_header(
            session, hospital, quarter, plan.catalog_year, late=plan.late, updated_at=at, **state
        )
        _write_values(session, actor, header, plan, source=source, reason=reason)
        append_event(session, actor, header, action="submit", from_status="draft", comment=comment)
        _audit(
            session,
            actor,
            hospital,
            header,
            plan,
            {"status": "draft", "version": 0},
            source,
            comment,
            "submit",
        )
    elif plan.changes or header.status != "submitted":
        before = {"status": header.status, "version": header.version}
        _write_values(session, actor, header, plan, source=source, reason=reason)
        at = now()
        if header.first_submitted_at is None:
            header.first_submitted_at, header.late = at, plan.late
        header.submitted_at = at
        action = "correct" if header.status == "submitted" else "submit"
        transition(session, actor, header, action=action, to_status="submitted", comment=comment)
        _audit(session, actor, hospital, header, plan, before, source, comment, action)
    return SubmissionResult(
        hospital_id=hospital.id,
        quarter=str(quarter),
        catalog_year=plan.catalog_year,
        status=cast(Status, header.status),  # the column's CHECK constraint allows only these
        version=header.version,
        late=header.late,
        changed=[c.value.indicator for c in plan.changes],
        unchanged=plan.unchanged,
        values=values,
        warnings=plan.warnings,
    )
