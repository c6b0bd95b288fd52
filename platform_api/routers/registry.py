"""Registry and audit routers, and the helper they share to keep refused attempts in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request

from platform_api.deps import get_database
from services import audit
from services.core.actor import Actor

NOT_FOUND = {404: {"description": "不存在或不在您的范围内 / does not exist (or is outside your scope)"}}
FORBIDDEN = {403: {"description": "您的角色无权执行此操作 / your roles do not allow this action"}}
WRITE_RESPONSES = {
    **FORBIDDEN,
    409: {"description": "与现有数据冲突 / conflicts with existing data"},
    422: {
        "description": "数据校验失败，problems 列出每个问题 / invalid data; `problems` lists every problem"
    },
}


@contextmanager
def denials(
    request: Request, actor: Actor, action: str, entity: str, entity_id: object = None
) -> Iterator[None]:
    """Record a refusal (403, or 404 on a write) in its own transaction, then let it propagate."""
    with audit.denials_recorded(
        get_database(request), actor, action=action, entity=entity, entity_id=entity_id
    ):
        yield


def register_routers(app: FastAPI) -> None:
    """Mount ``/api/v1/hospitals``, ``/networks``, ``/qc-centers`` and ``/audit`` (called by create_app)."""
    from platform_api.routers import audit as audit_router
    from platform_api.routers import hospitals, networks, qc_centers

    for module in (hospitals, networks, qc_centers, audit_router):
        app.include_router(module.router)
