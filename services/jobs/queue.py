"""Deferring a job inside the caller's transaction.

The job row is written by the same transaction as the notification it delivers: both commit or
neither does. procrastinate's own ``defer`` opens its own connection and so could enqueue a job for a
notification that was rolled back. Rows go into procrastinate's table exactly as its
``procrastinate_defer_jobs_v1`` writes them (its insert trigger wakes the worker).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

DEFAULT_QUEUE = "default"

_DEFER = text(
    "INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at)"
    " VALUES (:queue, :task, 0, NULL, :queueing_lock, CAST(:args AS jsonb), :scheduled_at)"
    # a job with this queueing lock already waiting: it will do the work (no second job)
    " ON CONFLICT DO NOTHING"
)


def defer(
    session: Session,
    task_name: str,
    args: dict[str, Any],
    *,
    queueing_lock: str | None = None,
    scheduled_at: datetime | None = None,
    queue: str = DEFAULT_QUEUE,
) -> None:
    """Enqueue ``task_name(**args)`` when the session's transaction commits."""
    session.execute(
        _DEFER,
        {
            "queue": queue,
            "task": task_name,
            "queueing_lock": queueing_lock,
            "args": json.dumps(args),
            "scheduled_at": scheduled_at,
        },
    )
