"""`qcp worker`: the job worker (notifications, reminders, freezing locked quarters)."""

from __future__ import annotations

import typer


def worker(
    until_idle: bool = typer.Option(
        False, "--until-idle", help="exit once no job is due (cron-style runs, checks)"
    ),
    concurrency: int = typer.Option(1, min=1, max=16, help="jobs run at the same time"),
) -> None:
    """运行任务进程 / run the job worker: notification delivery (e-mail, webhooks), due-date reminders,
    window-opening notices and freezing the flags of locked quarters, on procrastinate (PostgreSQL).

    Connects as the restricted app role (QCP_DATABASE_URL, or the embedded PostgreSQL). Stop with Ctrl-C
    or SIGTERM: running jobs finish first.
    """
    import logging

    from services.core import runtime
    from services.core.db import Database, assert_restricted_role
    from services.jobs import tasks
    from services.jobs.worker import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    url = runtime.app_url()
    database = Database.from_url(url, pool_size=2, max_overflow=0)
    assert_restricted_role(database.engine)
    tasks.use_database(database)
    typer.echo("任务进程已启动 / worker started" if not until_idle else "处理到队列空闲 / running until idle")
    try:
        run(url, until_idle=until_idle, concurrency=concurrency)
    finally:
        database.dispose()
