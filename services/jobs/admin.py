"""Jobs for the national admin: the queue's recent jobs, and retrying a failed or cancelled one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from services.core.errors import Conflict, NotFound, PermissionDenied
from services.jobs import queue


class JobRead(BaseModel):
    id: int
    task_name: str
    queue_name: str
    status: str  # todo | doing | succeeded | failed | cancelled | aborted
    args: dict[str, Any]
    attempts: int
    scheduled_at: datetime | None


def require_national_admin(actor: Actor) -> None:
    if not (actor.has(Role.NATIONAL_ADMIN) and actor.is_national):
        raise PermissionDenied(
            "只有国家管理员可查看与重试任务 / only the national admin may see and retry jobs"
        )


def list_jobs(
    session: Session, actor: Actor, *, status: str | None = None, limit: int = 100
) -> list[JobRead]:
    require_national_admin(actor)
    rows = session.execute(
        text(
            "SELECT id, task_name, queue_name, status::text AS status, args, attempts, scheduled_at"
            " FROM procrastinate_jobs WHERE (CAST(:status AS text) IS NULL OR status::text = :status)"
            " ORDER BY id DESC LIMIT :limit"
        ),
        {"status": status, "limit": limit},
    ).mappings()
    return [JobRead(**row) for row in rows]


def retry_job(session: Session, actor: Actor, *, job_id: int) -> None:
    """Queue the same task with the same arguments again (procrastinate keeps the failed job)."""
    require_national_admin(actor)
    row = (
        session.execute(
            text(
                "SELECT task_name, queue_name, status::text AS status, args FROM procrastinate_jobs WHERE id = :id"
            ),
            {"id": job_id},
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"没有任务 {job_id} / job {job_id} not found")
    if row["status"] not in ("failed", "cancelled", "aborted"):
        raise Conflict(
            f"任务 {job_id} 状态为 {row['status']}，只能重试失败或取消的任务 / job {job_id} is {row['status']}: "
            "only failed, cancelled or aborted jobs can be retried",
            status=row["status"],
        )
    queue.defer(session, row["task_name"], row["args"], queue=row["queue_name"])
