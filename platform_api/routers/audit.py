"""``/api/v1/audit``: the audit log, for admins of a scope (national: all; provincial: own province)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from platform_api.auth.deps import CurrentActor
from platform_api.deps import DbSession
from platform_api.openapi_examples import AUDIT_PAGE, denied, ok
from platform_api.routers.registry import BAD_PARAMETERS, forbidden
from services import audit
from services.core.actor import Role
from services.identity.permissions import require

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get(
    "",
    response_model=audit.AuditPage,
    responses={
        200: ok(AUDIT_PAGE),
        **forbidden(denied("audit.read", Role.PROVINCIAL_ANALYST, province="330000")),
        **BAD_PARAMETERS,
    },
    summary="审计日志 / the audit log",
    description="按时间倒序；用 next_cursor 翻页 / newest first; pass `next_cursor` as `cursor` for the next page.",
)
def read_audit(
    session: DbSession,
    actor: CurrentActor,
    action: Annotated[str | None, Query(examples=["hospital.update"])] = None,
    entity: str | None = None,
    entity_id: str | None = None,
    outcome: Literal["ok", "denied"] | None = None,
    actor_subject: str | None = None,
    province_code: Annotated[str | None, Query(pattern=r"^[1-9]\d0000$")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> audit.AuditPage:
    require(actor, "audit.read")
    filters = audit.AuditFilters(
        action=action,
        entity=entity,
        entity_id=entity_id,
        outcome=outcome,
        actor_subject=actor_subject,
        province_code=province_code,
        since=since,
        until=until,
    )
    return audit.read_audit(session, actor, filters=filters, limit=limit, cursor=cursor)
