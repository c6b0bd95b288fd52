"""A real SMTP server (aiosmtpd), a real webhook receiver that verifies signatures, and the worker."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from services.core.config import notification_settings
from services.jobs.queue import DEFAULT_QUEUE
from services.jobs.worker import run
from services.notification.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.api_harness import free_port


class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[_Collect]:
    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    old = {k: os.environ.get(k) for k in ("QCP_SMTP_HOST", "QCP_SMTP_PORT")}
    os.environ.update(QCP_SMTP_HOST="127.0.0.1", QCP_SMTP_PORT=str(port))
    notification_settings.cache_clear()
    try:
        yield handler
    finally:
        controller.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        notification_settings.cache_clear()


@dataclass
class Receiver:
    """Counts hits; answers 500 to the first ``fail_first`` requests, 401 to a bad signature."""

    secret: str = ""
    fail_first: int = 0
    always_fail: bool = False
    hits: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextmanager
def webhook_receiver(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = verify(receiver.secret, self.headers[TIMESTAMP_HEADER], body, self.headers[SIGNATURE_HEADER])
            if not ok:
                receiver.refused += 1
                self.send_response(401)
            elif receiver.always_fail or receiver.fail_first > 0:
                receiver.fail_first -= 1
                receiver.refused += 1
                self.send_response(500)
            else:
                receiver.hits.append(json.loads(body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def run_worker_until_idle(app_url: str) -> None:
    """The real procrastinate worker, until the event queue has nothing due (the periodic jobs, which
    the worker defers when it starts, stay in their own queue: the tests call them explicitly)."""
    run(app_url, until_idle=True, queues=[DEFAULT_QUEUE])
