"""Request rate limits shared by every worker and container (the ``limits`` library).

Two limits per client: a **burst** of ``burst`` requests within ``burst × 60 / per_minute``
seconds, and ``per_minute`` requests per minute, both counted with the sliding-window-counter
strategy (constant memory per client). The counters live in Redis in production
(``QCP_RATE_LIMIT_STORAGE_URL=redis://…``), so N workers and M containers share one limit, and a
restart forgets nothing; the demo and tests count in the memory of the process.

When Redis does not answer, each worker falls back to counting in its own memory (the limit then
holds per worker, as before) and logs the error at most once a minute: a Redis outage neither
lifts the limits nor stops the API.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.5  # a hung Redis delays a request by at most this, then memory counts
_SCHEMES = {"redis": "async+redis", "rediss": "async+rediss", "memory": "async+memory"}


def storage_for(url: str, *, key_prefix: str) -> Storage:
    """``redis://host:port/db``, ``rediss://…`` (TLS) or ``memory://`` as an async storage."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _SCHEMES:
        raise ValueError(
            f"unsupported rate-limit storage {url!r}: use redis://host:6379/0, rediss://… or memory://"
        )
    if scheme == "memory":
        return MemoryStorage()
    storage = storage_from_string(
        f"{_SCHEMES[scheme]}://{rest}",
        implementation="redispy",
        key_prefix=key_prefix,
        wrap_exceptions=True,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    assert isinstance(storage, Storage)
    return storage


def limit_items(per_minute: int, burst: int) -> tuple[RateLimitItem, ...]:
    """The burst window and the per-minute limit."""
    burst = max(1, burst)
    window = max(1, math.ceil(burst * 60 / max(1, per_minute)))
    return RateLimitItemPerSecond(burst, window), RateLimitItemPerMinute(max(1, per_minute))


class SharedRateLimiter:
    """``await take(key)``: 0 when the request may go on, else the seconds to wait."""

    def __init__(self, per_minute: int, burst: int, *, storage_url: str, key_prefix: str) -> None:
        self.items = limit_items(per_minute, burst)
        self.storage_url = storage_url
        self.shared = SlidingWindowCounterRateLimiter(storage_for(storage_url, key_prefix=key_prefix))
        self.local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._logged_at = 0.0

    async def take(self, key: str) -> float:
        try:
            return await self._take(self.shared, key)
        except StorageError as exc:
            self._log_outage(exc)
            return await self._take(self.local, key)

    async def _take(self, limiter: SlidingWindowCounterRateLimiter, key: str) -> float:
        for item in self.items:
            if not await limiter.hit(item, key):
                stats = await limiter.get_window_stats(item, key)
                return max(1.0, stats.reset_time - time.time())
        return 0.0

    def _log_outage(self, exc: StorageError) -> None:
        now = time.monotonic()
        if now - self._logged_at >= 60:
            self._logged_at = now
            log.error(
                "限流存储不可用，暂按进程计数 / rate-limit storage unreachable, counting per worker: %s",
                exc.storage_error if hasattr(exc, "storage_error") else exc,
            )
