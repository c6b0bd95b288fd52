"""Audited changes of registry rows: the shape the update and deactivate handlers of hospitals,
QC centers and networks share (changed fields only → set inside a savepoint → before/after in the
audit log)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor
from services.registry.queries import conflicts_as


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
    row,
    changes: Mapping[str, Any],
    *,
    entity: str,  # noqa: ANN001
    action: str,
    reason: str,
    conflicts: Mapping[str, str] | None = None,
):  # noqa: ANN201
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
