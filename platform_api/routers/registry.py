"""Registry and audit routers, and the helper they share to keep refused attempts in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request

from platform_api.deps import get_database
from platform_api.openapi_examples import E404, E422_PARAMS, E422_RULES, E422_SHAPE, Responses, error
from services import audit
from services.core.actor import Actor

NOT_FOUND: Responses = {
    404: error("不存在或不在您的范围内 / does not exist (or is outside your scope)", E404)
}
BAD_PARAMETERS: Responses = {
    422: error(
        "参数格式错误，problems 列出每个问题 / invalid parameters; `problems` lists every problem",
        E422_PARAMS,
    )
}
INVALID_DATA: Responses = {
    422: error(
        "数据校验失败，problems 列出每个问题 / invalid data; `problems` lists every problem",
        E422_SHAPE,
        E422_RULES,
    )
}


def forbidden(*examples: dict) -> dict[int | str, dict]:
    """The operation's own 403: ``denied(action, role)`` for a permission it requires, or its own refusal."""
    return {403: error("您的角色无权执行此操作 / your roles do not allow this action", *examples)}


def write_responses(refused: dict, *conflicts: dict) -> dict[int | str, dict]:
    """403 (the operation's own refusal), 409 (its own conflicts) and 422 (invalid data)."""
    return {
        **forbidden(refused),
        409: error("与现有数据冲突 / conflicts with existing data", *conflicts),
        **INVALID_DATA,
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
