"""The audit log: every change names who made it, in which tenant, what it was before and after.

``record`` appends inside the caller's transaction, so a change and its audit row commit or roll
back together.

``record_denied`` is for refused attempts. The request's own transaction is rolled back when the
refusal propagates, so the denial is written in a **separate short transaction**: a new session
from ``Database.unit_of_work(actor)`` (its own connection, bound to the actor's scope so RLS lets
the row in), committed before the request's transaction unwinds. The tenant of a denial is the
caller's own province (NULL for national callers): the target may be in a province the caller
cannot see, and naming it would leak. ``denials_recorded`` wraps a block and does this for
:class:`PermissionDenied` and :class:`NotFound` (a write aimed at an id outside the caller's scope
answers NotFound — and is a denial worth keeping).

``read_audit`` serves admins of a scope: national admins everything, provincial admins their province.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.db import Database
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.core.schemas import ReadModel, StrictModel
from services.identity.permissions import require
from services.models import AuditEntry
from services.registry.queries import province_scope

ACTOR_PROVINCE: Any = object()  # sentinel: the tenant is the actor's own province
MAX_PAGE = 500


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    return value


def snapshot(row: Any) -> dict[str, Any]:
    """Column values of an ORM row as JSON (for ``before`` / ``after``)."""
    mapper = inspect(row).mapper
    return {attr.key: _jsonable(getattr(row, attr.key)) for attr in mapper.column_attrs}


def _entry(actor: Actor, province_code: Any, **fields: Any) -> AuditEntry:
    return AuditEntry(
        province_code=actor.province if province_code is ACTOR_PROVINCE else province_code,
        actor_subject=actor.subject,
        actor_roles=sorted(r.value for r in actor.roles),
        client_id=actor.client_id,
        **fields,
    )


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: object,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    reason: str = "",
    outcome: str = "ok",
    province_code: str | None = ACTOR_PROVINCE,
) -> AuditEntry:
    """Append an audit row in the caller's transaction (flushed, not committed).

    ``province_code``: the tenant of the affected row (NULL for national-scope things); defaults to
    the actor's province.
    """
    entry = _entry(
        actor,
        province_code,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        outcome=outcome,
        reason=reason,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
    session.add(entry)
    session.flush()
    return entry


def record_denied(
    database: Database, actor: Actor, *, action: str, entity: str, entity_id: object = None, reason: str = ""
) -> None:
    """Keep a refused attempt in its own committed transaction (survives the request's rollback)."""
    with database.unit_of_work(actor) as session:
        record(
            session,
            actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=None,
            after=None,
            reason=reason[:2000],
            outcome="denied",
        )


@contextmanager
def denials_recorded(
    database: Database, actor: Actor, *, action: str, entity: str, entity_id: object = None
) -> Iterator[None]:
    """Record :class:`PermissionDenied` / :class:`NotFound` raised in the block, then re-raise."""
    try:
        yield
    except (PermissionDenied, NotFound) as exc:
        record_denied(database, actor, action=action, entity=entity, entity_id=entity_id, reason=exc.detail)
        raise


class AuditFilters(StrictModel):
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    outcome: str | None = None
    actor_subject: str | None = None
    province_code: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditRead(ReadModel):
    id: int
    at: datetime
    province_code: str | None
    actor_subject: str
    actor_roles: list[str]
    client_id: str | None
    action: str
    entity: str
    entity_id: str | None
    outcome: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(ReadModel):
    items: list[AuditRead]
    next_cursor: str | None


def audit_stmt(actor: Actor) -> Select[AuditEntry]:
    """Audit rows in the caller's scope (the one place the tenant filter is written)."""
    return select(AuditEntry).where(province_scope(AuditEntry.province_code, actor))


def _apply_filters(stmt: Select[AuditEntry], filters: AuditFilters) -> Select[AuditEntry]:
    for name in ("action", "entity", "entity_id", "outcome", "actor_subject", "province_code"):
        value = getattr(filters, name)
        if value is not None:
            stmt = stmt.where(getattr(AuditEntry, name) == value)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.at < filters.until)
    return stmt


def _cursor_id(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not cursor.isdigit():
        raise ValidationFailed(
            "翻页游标无效 / invalid cursor: pass next_cursor from the previous page",
            problems=[{"field": "cursor", "problem": "not a cursor returned by this API"}],
        )
    return int(cursor)


def read_audit(
    session: Session,
    actor: Actor,
    *,
    filters: AuditFilters | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    """Newest first; ``next_cursor`` continues after the last row (keyset on id)."""
    require(actor, "audit.read")
    limit = max(1, min(limit, MAX_PAGE))
    stmt = _apply_filters(audit_stmt(actor), filters or AuditFilters())
    after_id = _cursor_id(cursor)
    if after_id is not None:
        stmt = stmt.where(AuditEntry.id < after_id)
    rows = session.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)).scalars().all()
    items = [AuditRead.model_validate(r) for r in rows[:limit]]
    next_cursor = str(items[-1].id) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=next_cursor)
