"""Audited changes of registry rows: the shape the update and deactivate handlers of hospitals,
QC centers and networks share (changed fields only → set inside a savepoint → before/after in the
audit log)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor
from services.registry.queries import conflicts_as


class _AuditedRow(Protocol):
    """What the audit record reads from a registry row (hospital, QC center, network)."""

    @property
    def id(self) -> int: ...

    @property
    def province_code(self) -> str | None: ...


_Row = TypeVar("_Row", bound=_AuditedRow)


def requested_changes(data: BaseModel, row: object) -> dict[str, Any]:
    """The fields ``data`` sets that differ from ``row`` (None means "leave as it is"; ``reason`` is
    the audit log's, not a field)."""
    return {
        k: v
        for k, v in data.model_dump(exclude_unset=True, exclude={"reason"}).items()
        if v is not None and v != getattr(row, k)
    }


def apply_audited(
    session: Session,
    actor: Actor,
    row: _Row,
    changes: Mapping[str, Any],
    *,
    entity: str,
    action: str,
    reason: str,
    conflicts: Mapping[str, str] | None = None,
) -> _Row:
    """Set ``changes`` on ``row`` inside a savepoint (a violated constraint named in ``conflicts``
    becomes its Conflict), then record ``{entity}.{action}`` with the row before and after."""
    before = audit.snapshot(row)
    with conflicts_as(session, conflicts or {}):
        for key, value in changes.items():
            setattr(row, key, value)
    session.refresh(row)
    audit.record(
        session,
        actor,
        action=f"{entity}.{action}",
        entity=entity,
        entity_id=row.id,
        before=before,
        after=audit.snapshot(row),
        reason=reason,
        province_code=row.province_code,
    )
    return row
