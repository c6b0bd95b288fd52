"""Who may touch which hospital's submissions: permission, hospital scope and specialty scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.quarter import Quarter
from services.models import GoalOwner, Hospital
from services.registry.queries import load_hospital, not_found
from services.submission import ports
from services.submission import repository as repo


def hospital_for(session: Session, actor: Actor, hospital_id: int, action: str) -> Hospital:
    """The hospital, if ``actor`` may do ``action`` on it; NotFound when it is outside their scope."""
    ports.require(actor, action)
    if actor.hospital_id is not None and actor.hospital_id != hospital_id:
        raise not_found("hospital", hospital_id)  # same answer as "missing": ids cannot be probed
    return load_hospital(session, actor, hospital_id)


def hospital_for_write(session: Session, actor: Actor, hospital_id: int, quarter: Quarter) -> Hospital:
    """``hospital_for(…, "submission.write")`` that also takes the hospital-quarter write lock
    (``repository.load_hospital_locked``) in the same round trip; the same answers when refused."""
    ports.require(actor, "submission.write")
    if actor.hospital_id is not None and actor.hospital_id != hospital_id:
        raise not_found("hospital", hospital_id)
    hospital = repo.load_hospital_locked(session, actor, hospital_id, quarter)
    if hospital is None:
        raise not_found("hospital", hospital_id)
    return hospital


def specialty_goal_ids(session: Session, actor: Actor, action: str) -> set[int] | None:
    """Goals a specialty-scoped actor may see for ``action``; None = no specialty restriction."""
    if ports.scope_of(actor, action) != "specialty":
        return None
    if not actor.specialty:
        return set()
    rows = session.execute(select(GoalOwner.goal_id).where(GoalOwner.specialty_code == actor.specialty))
    return set(rows.scalars())
