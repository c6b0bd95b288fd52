"""A submission load for the fault-injection tests, and the checks of what it left behind.

Each writer owns one hospital and sends batches of three values that all carry the same
numerator ``k`` (unique per request), with a unique Idempotency-Key. A batch is therefore
"half-written" exactly when some but not all three indicators have a version with numerator k.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.reliability.conftest import CODES, QUARTER


@dataclass
class Sent:
    hospital_id: int
    k: int
    key: str
    outcome: str = "pending"  # "ok" (2xx), "503", "error" (connection lost), or the status code


@dataclass
class Load:
    base_url: str
    tokens: dict[int, str]  # hospital id → its submitter's token
    sent: list[Sent] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    retry_after_missing: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, item: Sent, client: httpx.Client) -> str:
        body = {
            "values": [{"indicator": c, "numerator": item.k, "denominator": 1_000_000_000} for c in CODES],
            "reason": f"负载 {item.k} / load",
        }
        headers = {"Authorization": f"Bearer {self.tokens[item.hospital_id]}", "Idempotency-Key": item.key}
        try:
            response = client.post(
                f"{self.base_url}/api/v1/hospitals/{item.hospital_id}/submissions/{QUARTER}",
                json=body,
                headers=headers,
                timeout=15,
            )
        except httpx.HTTPError:
            return "error"
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code == 503 and not response.headers.get("Retry-After"):
                self.retry_after_missing += 1
        return "ok" if response.is_success else str(response.status_code)

    def writer(self, hospital_id: int, start_k: int) -> None:
        with httpx.Client() as client:
            k = start_k
            while not self.stop.is_set():
                item = Sent(hospital_id, k, f"load-{hospital_id}-{k}")
                with self.lock:
                    self.sent.append(item)
                item.outcome = self.post(item, client)
                k += 1
                time.sleep(0.01 if item.outcome == "ok" else 0.25)  # a polite client backs off on errors

    def run(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.writer, args=(h, n * 1_000_000 + 1), daemon=True)
            for n, h in enumerate(self.tokens)
        ]
        for t in threads:
            t.start()
        return threads

    def finish(self, threads: list[threading.Thread]) -> None:
        self.stop.set()
        for t in threads:
            t.join(timeout=30)

    def retry_unanswered(self, deadline: float = 60) -> int:
        """Send every request without a 2xx again with its Idempotency-Key until it is answered."""
        pending = [s for s in self.sent if s.outcome != "ok"]
        end = time.monotonic() + deadline
        with httpx.Client() as client:
            for item in pending:
                item.outcome = self.post(item, client)
                while item.outcome != "ok" and time.monotonic() < end:
                    time.sleep(0.2)
                    item.outcome = self.post(item, client)
        return len(pending)


def wait_until_healthy(base_url: str, timeout: float = 30) -> float:
    """Seconds until GET /health answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the API did not recover within {timeout} s")


def verify(rel, load: Load) -> dict[str, int]:  # noqa: ANN001
    """Every 2xx request exactly once, no half-written batch, versions contiguous; returns figures."""
    rows = rel.rows(
        "SELECT v.hospital_id, i.code, v.numerator, v.version FROM submission_value_versions v"
        " JOIN indicators i ON i.id = v.indicator_id WHERE v.hospital_id = ANY(:h)",
        h=list(load.tokens),
    )
    per_k: dict[tuple[int, int], list[str]] = {}
    versions: dict[tuple[int, str], list[int]] = {}
    for hospital, code, numerator, version in rows:
        per_k.setdefault((hospital, numerator), []).append(code)
        versions.setdefault((hospital, code), []).append(version)
    half = [key for key, codes in per_k.items() if sorted(codes) != sorted(CODES)]
    assert half == [], f"half-written or duplicated batches: {half[:10]}"
    missing = [s for s in load.sent if s.outcome == "ok" and (s.hospital_id, s.k) not in per_k]
    assert missing == [], f"acknowledged but lost: {missing[:10]}"
    for key, found in versions.items():
        assert sorted(found) == list(range(1, len(found) + 1)), f"versions of {key} are not contiguous"
    return {
        "requests": len(load.sent),
        "acknowledged": sum(s.outcome == "ok" for s in load.sent),
        "rows_verified": len(rows),
        "batches_verified": len(per_k),
        "half_written": 0,
        "lost": 0,
    }
