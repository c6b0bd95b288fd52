"""What the dashboards read and change about notifications and jobs, through the same services and
scoped unit of work as the API."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

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


def is_org_admin(actor: Actor) -> bool:
    return actor.has(*manage.ORG_ADMINS)


def settings(db: Database, actor: Actor) -> dict[str, Any]:
    """What the settings block shows: the caller's channels per kind, addresses, and (admins) webhooks."""
    with db.unit_of_work(actor) as session:
        prefs = manage.own_preferences(session, actor)
        return {
            "prefs": {f"{kind}:{channel}": on for (kind, channel), on in prefs.items()},
            "contacts": [c.model_dump(mode="json") for c in manage.contacts(session, actor)],
            "webhooks": [w.model_dump(mode="json") for w in manage.webhooks(session, actor)]
            if is_org_admin(actor)
            else [],
        }


def change(db: Database, actor: Actor, action: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    """Run one settings change as ``actor``: ('', its result) or (the service's message, {})."""
    try:
        with db.unit_of_work(actor) as session:
            if action == "preferences":
                for kind, channel, enabled in arguments["choices"]:
                    manage.set_preference(
                        session,
                        actor,
                        preference=manage.PreferenceIn(
                            kind=kind,
                            channel=channel,
                            enabled=enabled,
                            organisation=arguments.get("organisation", False),
                        ),
                    )
                return "", {}
            if action == "add_contact":
                contact = manage.ContactIn(email=arguments["email"], organisation=arguments["organisation"])
                return "", {"id": manage.add_contact(session, actor, contact=contact)}
            if action == "remove_contact":
                manage.remove_contact(session, actor, contact_id=arguments["contact_id"])
                return "", {}
            if action == "add_webhook":
                created = manage.add_webhook(session, actor, webhook=manage.WebhookIn(url=arguments["url"]))
                return "", created.model_dump()
            if action == "switch_webhook":
                hook = manage.set_webhook_active(
                    session, actor, webhook_id=arguments["webhook_id"], active=arguments["active"]
                )
                return "", hook.model_dump(mode="json")
            if action == "rotate_webhook":
                return "", manage.rotate_webhook_secret(
                    session, actor, webhook_id=arguments["webhook_id"]
                ).model_dump()
    except DomainError as exc:
        return exc.detail, {}
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return f"输入有误：{problems} / invalid input: {problems}", {}
    raise ValueError(f"unknown settings action {action!r}")
