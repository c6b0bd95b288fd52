"""What the dashboards read and change about notifications and jobs, through the same services and
scoped unit of work as the API."""

from __future__ import annotations

import uuid
from typing import Any

from services.core.actor import Actor, Role
from services.core.db import Database
from services.core.errors import DomainError
from services.jobs import admin as jobs_admin
from services.notification import inbox, manage


def unread(db: Database, actor: Actor) -> int:
    with db.unit_of_work(actor) as session:
        return inbox.unread_count(session, actor)


def items(db: Database, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    with db.unit_of_work(actor) as session:
        return [i.model_dump(mode="json") for i in inbox.inbox(session, actor, limit=limit).items]


def mark_read(db: Database, actor: Actor, notification_id: str) -> None:
    with db.unit_of_work(actor) as session:
        inbox.mark_read(session, actor, uuid.UUID(notification_id))


def is_jobs_admin(actor: Actor) -> bool:
    return actor.has(Role.NATIONAL_ADMIN) and actor.is_national


def jobs(db: Database, actor: Actor, limit: int = 30) -> list[dict[str, Any]]:
    with db.unit_of_work(actor) as session:
        return [j.model_dump(mode="json") for j in jobs_admin.list_jobs(session, actor, limit=limit)]


def dead_letters(db: Database, actor: Actor) -> list[dict[str, Any]]:
    with db.unit_of_work(actor) as session:
        return [d.model_dump(mode="json") for d in manage.deliveries(session, actor, status="dead", limit=50)]


def retry(db: Database, actor: Actor, *, job_id: int | None = None, delivery_id: int | None = None) -> str:
    """'' on success, else the service's message."""
    try:
        with db.unit_of_work(actor) as session:
            if job_id is not None:
                jobs_admin.retry_job(session, actor, job_id=job_id)
            if delivery_id is not None:
                manage.retry_delivery(session, actor, delivery_id=delivery_id)
    except DomainError as exc:
        return exc.detail
    return ""
