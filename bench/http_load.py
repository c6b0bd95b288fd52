"""A minimal keep-alive HTTP/1.1 load client on asyncio streams, and latency statistics.

Deliberately tiny: on a 2-core machine the load generator shares the CPU with the API workers and
PostgreSQL, so it must cost as little as possible per request (a general-purpose client does more
work per request than this bench needs). Requests are prepared (bodies
serialised) before the clock starts; each of ``concurrency`` connections sends its next request
as soon as the previous answer has arrived (a closed loop, like hospital systems uploading).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Request:
    path: str
    token: str
    body: bytes


@dataclass
class Outcome:
    started: float = 0.0
    finished: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def _encode(request: Request, host: str) -> bytes:
    head = (
        f"POST {request.path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {request.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n\r\n"
    )
    return head.encode("ascii") + request.body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed by the server")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    body = b""
    while (size := int((await reader.readline()).strip(), 16)) > 0:
        body += await reader.readexactly(size + 2)
    await reader.readline()
    return status, body


async def _worker(host: str, port: int, queue: asyncio.Queue, outcome: Outcome) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            try:
                request = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            writer.write(_encode(request, f"{host}:{port}"))
            status, body = await _read_response(reader)
            outcome.latencies.append(time.perf_counter() - start)
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            if status != 200 and len(outcome.errors) < 5:
                outcome.errors.append(f"{status} {request.path}: {body[:300]!r}")
    finally:
        writer.close()


async def _run(host: str, port: int, requests: list[Request], concurrency: int) -> Outcome:
    queue: asyncio.Queue = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    outcome = Outcome(started=time.perf_counter())
    await asyncio.gather(*(_worker(host, port, queue, outcome) for _ in range(concurrency)))
    outcome.finished = time.perf_counter()
    return outcome


def run_load(host: str, port: int, requests: list[Request], concurrency: int) -> Outcome:
    return asyncio.run(_run(host, port, requests, concurrency))


def percentiles(latencies: list[float]) -> dict[str, float]:
    values = np.asarray(latencies) * 1000
    return {name: float(np.percentile(values, q)) for name, q in (("p50", 50), ("p95", 95), ("p99", 99))} | {
        "max": float(values.max()),
        "mean": float(values.mean()),
    }
