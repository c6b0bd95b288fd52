"""Status transitions of a submission header, each kept as an append-only event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.models import Submission, SubmissionEvent


def actor_roles(actor: Actor) -> list[str]:
    return sorted(r.value for r in actor.roles)


def transition(
    session: Session, actor: Actor, header: Submission, *, action: str, to_status: str, comment: str = ""
) -> SubmissionEvent:
    """Move ``header`` to ``to_status``, bump its version and append the event (flushed)."""
    from services.submission.windows import now

    from_status = header.status
    header.status = to_status
    header.version = (header.version or 0) + 1
    header.updated_at = now()
    return append_event(session, actor, header, action=action, from_status=from_status, comment=comment)


def append_event(
    session: Session, actor: Actor, header: Submission, *, action: str, from_status: str, comment: str = ""
) -> SubmissionEvent:
    """The event of a transition ``header`` has already made (status and version set): a new header
    is inserted in its final state, so the event names the state it came from (flushed)."""
    event = SubmissionEvent(
        submission_id=header.id,
        province_code=header.province_code,
        hospital_id=header.hospital_id,
        action=action,
        from_status=from_status,
        to_status=header.status,
        submission_version=header.version,
        comment=comment,
        actor_subject=actor.subject,
        actor_roles=actor_roles(actor),
        client_id=actor.client_id,
    )
    session.add(event)
    session.flush()
    from services.notification.triggers import on_transition

    on_transition(session, header, event)
    return event
