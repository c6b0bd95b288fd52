"""Rate limits shared across workers: two app instances counting in one Redis give a client one
limit; memory storage counts per instance; a Redis outage falls back to counting per worker.

Needs the Redis on 127.0.0.1:6379 (skipped when none answers); every run uses its own key prefix.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx
import pytest

from platform_api.auth.dev_directory import DevClient, DevDirectory
from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.rate_limit import SharedRateLimiter, limit_items
from services.core.actor import Role
from tests.api_harness import LiveApi, ServerThread
from tests.reliability.support import actor, build_app, settings_for

REDIS = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")


@dataclass
class Pair:
    first: LiveApi
    second: LiveApi
    prefix: str


def start_pair(database, storage_url: str) -> tuple[Pair, list]:  # noqa: ANN001
    """Two app instances (as two workers or containers) behind one development issuer."""
    directory = DevDirectory(users=[], clients=[DevClient(client_id="qcp-dashboard", secret="test-secret")])
    issuer = start_dev_issuer(directory, host="127.0.0.1", port=0, realm="qcp")
    prefix = f"qcp-test-{uuid.uuid4().hex}"
    settings = settings_for(
        urlparse(issuer.base_url).port,
        rate_limit_per_minute=60,
        rate_limit_burst=5,
        rate_limit_storage_url=storage_url,
        rate_limit_key_prefix=prefix,
    )
    verifier = TokenVerifier(server_url=issuer.base_url, realm="qcp")
    servers = [ServerThread(build_app(database, settings, verifier)).start() for _ in range(2)]
    lives = [LiveApi(base_url=s.base_url, issuer=issuer, directory=directory) for s in servers]
    return Pair(lives[0], lives[1], prefix), [issuer, *servers]


def stop_pair(pair: Pair, parts: list) -> None:
    pair.first.close()
    pair.second.close()
    issuer, *servers = parts
    for server in servers:
        server.stop()
    issuer.stop()


@pytest.fixture
def redis_pair(rel) -> Iterator[Pair]:  # noqa: ANN001
    pair, parts = start_pair(rel.database, REDIS)
    yield pair
    stop_pair(pair, parts)


@pytest.fixture
def memory_pair(rel) -> Iterator[Pair]:  # noqa: ANN001
    pair, parts = start_pair(rel.database, "memory://")
    yield pair
    stop_pair(pair, parts)


def alternate(pair: Pair, subject: str, n: int) -> list[int]:
    """``n`` requests of one client, sent to the two instances in turn."""
    who = actor(Role.NATIONAL_ANALYST, subject)
    token = pair.first.token_for(who)
    headers = {"Authorization": f"Bearer {token}"}
    codes = []
    for i in range(n):
        base = (pair.first if i % 2 == 0 else pair.second).base_url
        codes.append(httpx.get(f"{base}/api/v1/me", headers=headers, timeout=10).status_code)
    return codes


@needs_redis
def test_two_instances_sharing_redis_give_a_client_one_limit(redis_pair: Pair):
    codes = alternate(redis_pair, "shared-a", 8)
    # burst 5 across both instances: 3 on one, 2 on the other, then refused on both
    assert codes[:5] == [200] * 5 and codes[5:] == [429] * 3, codes
    assert alternate(redis_pair, "shared-b", 2) == [200, 200]  # another client has its own limit


def test_memory_storage_counts_per_instance(memory_pair: Pair):
    # The demo's memory storage: each instance counts alone, so the same client gets about twice the
    # burst across two instances (what the shared store fixes).
    codes = alternate(memory_pair, "alone-a", 10)
    assert codes == [200] * 10, codes


@needs_redis
def test_the_counters_live_in_redis_under_the_configured_prefix(redis_pair: Pair):
    import redis

    alternate(redis_pair, "keys-a", 2)
    client = redis.Redis.from_url(REDIS)
    try:
        keys = client.keys(f"{redis_pair.prefix}*")
        assert keys, "no counter under the run's prefix"
        assert all(b"keys-a" in key or b"sub:" in key for key in keys)
    finally:
        for key in client.keys(f"{redis_pair.prefix}*"):
            client.delete(key)
        client.close()


def test_an_unreachable_redis_falls_back_to_counting_per_worker(caplog: pytest.LogCaptureFixture):
    async def run() -> list[float]:
        limiter = SharedRateLimiter(60, 3, storage_url="redis://127.0.0.1:9/0", key_prefix="qcp-down")
        return [await limiter.take("k") for _ in range(5)]

    waits = asyncio.run(run())
    assert waits[:3] == [0.0] * 3 and all(w >= 1 for w in waits[3:])  # still limited, never an error
    assert sum("rate-limit storage unreachable" in r.getMessage() for r in caplog.records) == 1  # logged once


def test_burst_and_per_minute_limits_follow_the_settings():
    burst, minute = limit_items(120, 60)
    assert (burst.amount, burst.get_expiry()) == (60, 30)
    assert (minute.amount, minute.get_expiry()) == (120, 60)
    burst, _ = limit_items(60, 5)
    assert (burst.amount, burst.get_expiry()) == (5, 5)
