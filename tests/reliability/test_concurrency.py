"""Many clients submitting, correcting, approving, returning and reopening the same hospital
quarters at once through HTTP. Every accepted operation is recorded with the version it produced;
replaying them serially in version order against a model of the rules must be legal at each step
and end in the state the API reports: no lost update, no duplicate version, history complete."""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import dataclass, field

import httpx
import pytest

from services.core.actor import Role
from tests.reliability.conftest import CODES, QUARTER
from tests.reliability.support import LONG, actor, write_artifact

HOSPITALS = 3
SUBMITTERS, REVIEWERS = 4, 2
OPS_PER_CLIENT = 40 if LONG else 10
_numbers = itertools.count(1)
_lock = threading.Lock()


@dataclass
class Accepted:
    version: int
    action: str
    values: dict[str, int] = field(default_factory=dict)


@dataclass
class Quarter:
    hospital_id: int
    url: str
    accepted: list[Accepted] = field(default_factory=list)
    refused: int = 0


def _submit(client: httpx.Client, q: Quarter, rng: random.Random) -> None:
    with _lock:
        k = next(_numbers)
    codes = rng.sample(CODES, rng.randint(1, 3))
    values = {c: k for c in codes}
    body = {
        "values": [{"indicator": c, "numerator": n, "denominator": 1_000_000} for c, n in values.items()],
        "reason": f"并发更正 {k} / concurrent correction",
    }
    headers = {}
    if rng.random() < 0.3:  # some clients correct what they last read: stale reads must be refused
        headers["If-Match"] = client.get(q.url).headers.get("ETag", '"0"')
    response = client.post(q.url, json=body, headers=headers)
    _record(q, response, "submit", values)


def _review(client: httpx.Client, q: Quarter, rng: random.Random) -> None:
    action = rng.choice(["approve", "return", "return", "reopen"])
    body = {"reason": "复核 / review"} if action == "reopen" else {"comment": f"{action} / 并发审核"}
    _record(q, client.post(f"{q.url}/{action}", json=body), action, {})


ERRORS: list[str] = []


def _record(q: Quarter, response: httpx.Response, action: str, values: dict[str, int]) -> None:
    with _lock:
        if response.is_success:
            q.accepted.append(Accepted(response.json()["version"], action, values))
            return
        q.refused += 1
        if response.status_code not in (403, 404, 409, 422):  # refusals by the rules; anything else is a bug
            ERRORS.append(f"{action} → {response.status_code}: {response.text[:300]}")


def _client_loop(client: httpx.Client, quarters: list[Quarter], step, seed: int) -> None:  # noqa: ANN001
    rng = random.Random(seed)
    for _ in range(OPS_PER_CLIENT):
        step(client, rng.choice(quarters), rng)


def replay(accepted: list[Accepted]) -> tuple[str, dict[str, int], list[str]]:
    """The serial history: each operation must be legal where its version puts it."""
    status, values, actions = "draft", {}, []
    for op in sorted(accepted, key=lambda a: a.version):
        if op.action == "submit":
            assert status != "approved", f"v{op.version}: a submission was accepted while approved"
            status = "submitted"
            values.update(op.values)
        elif op.action in ("approve", "return"):
            assert status == "submitted", f"v{op.version}: {op.action} accepted from {status}"
            status = "approved" if op.action == "approve" else "returned"
        else:  # reopen: approved (or locked) → returned
            status = "returned" if status == "approved" else status
        actions.append(
            "correct"
            if op.action == "submit"
            and actions
            and actions[-1] in ("submit", "correct")
            and status == "submitted"
            and _was_submitted(actions)
            else op.action
        )
    return status, values, actions


def _was_submitted(actions: list[str]) -> bool:
    return bool(actions) and actions[-1] in ("submit", "correct")


@pytest.fixture
def world(rel, rel_api):  # noqa: ANN001
    quarters = []
    for n in range(HOSPITALS):
        hospital = rel.add_hospital("330000", f"并发医院{n}")
        quarters.append(Quarter(hospital, f"/api/v1/hospitals/{hospital}/submissions/{QUARTER}"))
    return quarters


def _run_clients(rel_api, quarters: list[Quarter]) -> None:  # noqa: ANN001
    threads = []
    for n in range(SUBMITTERS):
        for q in quarters:  # a submitter belongs to one hospital
            client = rel_api.client_for(
                actor(Role.HOSPITAL_SUBMITTER, f"cc-sub-{q.hospital_id}-{n}", "330000", q.hospital_id)
            )
            threads.append(threading.Thread(target=_client_loop, args=(client, [q], _submit, n)))
    for n in range(REVIEWERS):
        client = rel_api.client_for(actor(Role.PROVINCIAL_ADMIN, f"cc-admin-{n}", "330000"))
        threads.append(threading.Thread(target=_client_loop, args=(client, quarters, _review, 100 + n)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)


def _check(rel_api, q: Quarter) -> int:  # noqa: ANN001
    versions = sorted(a.version for a in q.accepted)
    assert versions == list(range(1, len(versions) + 1)), "duplicate or missing versions (lost update)"
    status, values, _ = replay(q.accepted)
    reader = rel_api.client_for(actor(Role.PROVINCIAL_ANALYST, "cc-reader", "330000"))
    current = reader.get(q.url).json()
    assert current["version"] == versions[-1] and current["status"] == status
    assert {v["indicator"]: v["numerator"] for v in current["values"]} == values
    history = reader.get(q.url + "/history").json()
    expected = [
        (c, n) for a in sorted(q.accepted, key=lambda a: a.version) for c, n in sorted(a.values.items())
    ]
    assert sorted((h["indicator"], h["numerator"]) for h in history) == sorted(expected)  # history complete
    events = reader.get(q.url + "/events").json()
    assert [e["submission_version"] for e in events] == versions
    assert [e["action"] for e in events if e["action"] in ("approve", "return", "reopen")] == [
        a.action for a in sorted(q.accepted, key=lambda a: a.version) if a.action != "submit"
    ]
    return len(history) + len(events)


def test_concurrent_writers_and_reviewers_equal_a_serial_replay(rel_api, world):
    _run_clients(rel_api, world)
    assert ERRORS == []
    rows = sum(_check(rel_api, q) for q in world)
    accepted = sum(len(q.accepted) for q in world)
    assert accepted > HOSPITALS * 5
    write_artifact(
        "concurrency",
        {
            "clients": SUBMITTERS * HOSPITALS + REVIEWERS,
            "hospital_quarters": HOSPITALS,
            "operations_sent": accepted + sum(q.refused for q in world),
            "accepted": accepted,
            "refused": sum(q.refused for q in world),
            "rows_verified": rows,
            "duplicate_versions": 0,
            "lost_updates": 0,
        },
    )
