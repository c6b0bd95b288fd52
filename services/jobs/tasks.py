"""The procrastinate app and its tasks.

Event jobs: ``notification.fan_out`` (queued with each notification, in its transaction) and
``notification.deliver`` (one per e-mail or webhook delivery; retried with exponential backoff, a
dead letter after the last attempt). Periodic jobs (cron expressions in UTC, queue ``periodic``):
the sweep that re-queues anything left behind, due-date reminders, window-opening notices and the
freezing of locked quarters (``qcp flags freeze-locked``). docs/notifications.md lists them.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import procrastinate
from procrastinate import JobContext, RetryStrategy

from services.core.actor import system_actor
from services.core.config import notification_settings
from services.core.db import Database
from services.jobs import queue
from services.notification import delivery, triggers

logger = logging.getLogger("qcp.jobs")

_SETTINGS = notification_settings()
DELIVERY_RETRY = RetryStrategy(
    max_attempts=_SETTINGS.delivery_max_attempts - 1,  # procrastinate counts retries after the first try
    exponential_wait=_SETTINGS.delivery_backoff_base,
)

# periodic jobs have their own queue: a worker may run only events (tests do), or only the schedule
PERIODIC_QUEUE = "periodic"

app = procrastinate.App(connector=procrastinate.PsycopgConnector())


def connector(url: str) -> procrastinate.PsycopgConnector:
    """A connector to ``url``. procrastinate's pool checks each connection before lending it: after a
    database restart the dead connections are replaced instead of failing the worker's next query."""
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    return procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1, max_size=4)


_DATABASE: Database | None = None


def use_database(database: Database | None) -> None:
    """The database the tasks work in (as the restricted app role); None = from the settings."""
    global _DATABASE
    _DATABASE = database


def database() -> Database:
    global _DATABASE
    if _DATABASE is None:
        from services.core import runtime

        _DATABASE = Database.from_url(runtime.app_url(), pool_size=2, max_overflow=0)
    return _DATABASE


@app.task(
    name="notification.fan_out",
    queue=queue.DEFAULT_QUEUE,
    retry=RetryStrategy(max_attempts=5, exponential_wait=2),
)
def fan_out(notification_id: str) -> int:
    with database().unit_of_work(system_actor("worker")) as session:
        return len(delivery.fan_out(session, uuid.UUID(notification_id)))


@app.task(name="notification.deliver", queue=queue.DEFAULT_QUEUE, retry=DELIVERY_RETRY, pass_context=True)
def deliver(context: JobContext, delivery_id: int) -> str:
    attempts = context.job.attempts if context.job else 0
    final = attempts + 1 >= _SETTINGS.delivery_max_attempts
    with database().unit_of_work(system_actor("worker")) as session:
        outcome = delivery.deliver(session, delivery_id, final=final, settings=notification_settings())
    if outcome.status == "failed":  # committed the attempt; raising makes procrastinate retry later
        raise RuntimeError(f"delivery {delivery_id} attempt {attempts + 1} failed: {outcome.error}")
    return outcome.status


@app.periodic(cron="* * * * *", periodic_id="sweep")
@app.task(name="notification.sweep", queue=PERIODIC_QUEUE)
def sweep(timestamp: int) -> int:
    """Re-queue notifications not fanned out and pending deliveries whose job is gone."""
    with database().unit_of_work(system_actor("worker")) as session:
        waiting, pending = delivery.pending_work(session)
        for nid in waiting:
            queue.defer(
                session, "notification.fan_out", {"notification_id": str(nid)}, queueing_lock=f"fan-out:{nid}"
            )
        for did in pending:
            queue.defer(session, delivery.DELIVER_TASK, {"delivery_id": did}, queueing_lock=f"delivery:{did}")
    return len(waiting) + len(pending)


@app.periodic(cron="0 * * * *", periodic_id="due-reminders")
@app.task(name="notification.due_reminders", queue=PERIODIC_QUEUE)
def due_reminders(timestamp: int) -> int:
    at = datetime.fromtimestamp(timestamp, UTC)
    with database().unit_of_work(system_actor("worker")) as session:
        return triggers.due_reminders(session, at=at, days=notification_settings().reminder_days)


@app.periodic(cron="5 * * * *", periodic_id="windows-opened")
@app.task(name="notification.windows_opened", queue=PERIODIC_QUEUE)
def windows_opened(timestamp: int) -> int:
    at = datetime.fromtimestamp(timestamp, UTC)
    with database().unit_of_work(system_actor("worker")) as session:
        return triggers.windows_opened(session, at=at)


@app.periodic(cron="*/10 * * * *", periodic_id="freeze-locked")
@app.task(name="flags.freeze_locked", queue=PERIODIC_QUEUE)
def freeze_locked(timestamp: int) -> int:
    """``qcp flags freeze-locked`` on a schedule; freezing notifies the new flags."""
    from services.benchmark.snapshots import freeze_locked_windows

    at = datetime.fromtimestamp(timestamp, UTC)
    with database().unit_of_work(system_actor("flags-freeze")) as session:
        return len(freeze_locked_windows(session, system_actor("flags-freeze"), now=at))
