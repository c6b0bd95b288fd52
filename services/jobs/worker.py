"""Running procrastinate's worker: in the foreground (``qcp worker``), until the queue is idle (tests,
``qcp worker --until-idle``) or in a background thread of another process (``qcp demo``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import cast

from services.core.db import Database
from services.jobs import tasks

# how often the worker looks for jobs when no NOTIFY arrives (after a reconnect, or a missed one)
POLL_SECONDS = 2.0


def run(
    app_url: str, *, until_idle: bool = False, concurrency: int = 1, queues: list[str] | None = None
) -> None:
    """The worker in this thread; with ``until_idle`` it returns once nothing is due. ``queues``:
    only these (None = all, periodic jobs included)."""
    with tasks.app.replace_connector(tasks.connector(app_url)):
        tasks.app.run_worker(
            queues=queues,
            wait=not until_idle,
            concurrency=concurrency,
            install_signal_handlers=not until_idle,
            listen_notify=not until_idle,
            fetch_job_polling_interval=POLL_SECONDS,
        )


class BackgroundWorker:
    """The worker on its own event loop in a daemon thread; ``stop()`` ends it."""

    def __init__(
        self, app_url: str, database: Database | None = None, queues: list[str] | None = None
    ) -> None:
        self.app_url = app_url
        self.queues = queues
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="qcp-worker", daemon=True)
        if database is not None:
            tasks.use_database(database)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _main(self) -> None:
        with tasks.app.replace_connector(tasks.connector(self.app_url)):
            asyncio.run(self._loop())

    async def _loop(self) -> None:
        async with tasks.app.open_async():
            job = asyncio.create_task(
                tasks.app.run_worker_async(
                    # None = every queue (procrastinate's own default, which its WorkerOptions type omits)
                    queues=cast(Iterable[str], self.queues),
                    install_signal_handlers=False,
                    fetch_job_polling_interval=POLL_SECONDS,
                )
            )
            while not self._stop.is_set() and not job.done():
                await asyncio.sleep(0.2)
            job.cancel()
            try:
                await job
            except asyncio.CancelledError:
                pass
