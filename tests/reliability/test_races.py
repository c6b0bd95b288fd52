"""Writes that collide on a unique or exclusion rule, sent at the same instant (issue 21).

Each case sends N requests released together by a barrier against the live API (uvicorn, real
PostgreSQL, real tokens). Every answer must be a success or a named 409/422 in the house error
body — never a 500 — and the data must hold exactly what the successes say.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from services.core.actor import Role
from tests.registry.conftest import credit_code
from tests.reliability.conftest import QUARTER
from tests.reliability.support import actor, start_api, stop_api

N = 6


@pytest.fixture(scope="module")
def api(rel) -> Iterator:  # noqa: ANN001
    live, server = start_api(rel.database)
    yield live
    stop_api(live, server)


def race(n: int, send: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """``send(i)`` for i in 0..n-1, released at the same instant."""
    barrier = threading.Barrier(n)

    def go(i: int) -> httpx.Response:
        barrier.wait()
        return send(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))


def outcome(answers: list[httpx.Response], ok: int) -> tuple[list[httpx.Response], list[httpx.Response]]:
    """Split into successes and refusals; every refusal is a named 409/422 in the house body."""
    statuses = [a.status_code for a in answers]
    assert 500 not in statuses and all(s < 500 for s in statuses), [a.text for a in answers]
    done = [a for a in answers if a.status_code == ok]
    refused = [a for a in answers if a.status_code != ok]
    for answer in refused:
        assert answer.status_code in (409, 422), answer.text
        body = answer.json()
        assert body["error"] and body["error"] != "internal_error" and "/" in body["detail"], body
    return done, refused


def test_same_credit_code_registered_at_once(api, rel):  # noqa: ANN001
    zj = api.client_for(actor(Role.PROVINCIAL_ADMIN, "race-zj", "330000"))
    code = credit_code("330100")
    body = {
        "credit_code": code,
        "name": "并发登记医院",
        "level": "三级",
        "grade": "甲等",
        "type": "综合",
        "prefecture_code": "330100",
        "beds": 300,
    }
    done, refused = outcome(
        race(N, lambda i: zj.post("/api/v1/hospitals", json={**body, "name": f"并发{i}"})), 201
    )
    assert len(done) == 1 and len(refused) == N - 1
    sequential = zj.post("/api/v1/hospitals", json=body)
    assert {r.json()["error"] for r in refused} == {sequential.json()["error"]}, sequential.text
    assert rel.scalar("SELECT count(*) FROM hospitals WHERE credit_code = :c", c=code) == 1


def test_same_qc_center_created_at_once(api, rel):  # noqa: ANN001
    nat = api.client_for(actor(Role.NATIONAL_ADMIN, "race-nat"))
    body = {
        "level": "provincial",
        "province_code": "510000",
        "name": "四川省医疗质量控制中心",
    }
    done, refused = outcome(
        race(N, lambda i: nat.post("/api/v1/qc-centers", json={**body, "name": f"中心{i}"})), 201
    )
    assert len(done) == 1, [a.text for a in refused]
    sequential = nat.post("/api/v1/qc-centers", json=body)
    assert sequential.status_code == 409 and {r.json()["error"] for r in refused} == {
        sequential.json()["error"]
    }
    assert (
        rel.scalar(
            "SELECT count(*) FROM qc_centers WHERE province_code = '510000' AND specialty_code IS NULL"
        )
        == 1
    )


def _network(api, rel) -> tuple[httpx.Client, int, int]:  # noqa: ANN001
    zj = api.client_for(actor(Role.PROVINCIAL_ADMIN, "race-net", "330000"))
    nat = api.client_for(actor(Role.NATIONAL_ADMIN, "race-net-nat"))
    nat.post(
        "/api/v1/qc-centers", json={"level": "provincial", "province_code": "330000", "name": "浙江质控"}
    )
    center = rel.scalar("SELECT id FROM qc_centers WHERE province_code = '330000' AND specialty_code IS NULL")
    made = zj.post(
        "/api/v1/networks", json={"qc_center_id": center, "kind": "medical_alliance", "name": "并发医联体"}
    )
    assert made.status_code == 201, made.text
    return zj, made.json()["id"], rel.add_hospital("330000", "并发成员医院")


def test_same_network_membership_added_at_once(api, rel):  # noqa: ANN001
    zj, network, hospital = _network(api, rel)
    body = {"hospital_id": hospital, "valid_from": "2023-01-01"}
    done, refused = outcome(race(N, lambda i: zj.post(f"/api/v1/networks/{network}/members", json=body)), 201)
    assert len(done) == 1, [a.text for a in refused]
    sequential = zj.post(f"/api/v1/networks/{network}/members", json=body)
    assert sequential.status_code == 409 and {r.json()["error"] for r in refused} == {
        sequential.json()["error"]
    }
    assert rel.scalar("SELECT count(*) FROM network_memberships WHERE hospital_id = :h", h=hospital) == 1


def test_overlapping_memberships_added_at_once(api, rel):  # noqa: ANN001
    zj, network, hospital = _network(api, rel)
    starts = [f"2023-0{m}-01" for m in range(1, N + 1)]  # open-ended, so every pair overlaps
    done, refused = outcome(
        race(
            N,
            lambda i: zj.post(
                f"/api/v1/networks/{network}/members", json={"hospital_id": hospital, "valid_from": starts[i]}
            ),
        ),
        201,
    )
    assert len(done) == 1, [a.text for a in refused]
    assert rel.scalar("SELECT count(*) FROM network_memberships WHERE hospital_id = :h", h=hospital) == 1


def test_one_window_set_at_once_by_several_admins(api, rel):  # noqa: ANN001
    quarter = "2008Q3"  # no window row yet: every request tries to create it
    zj = api.client_for(actor(Role.PROVINCIAL_ADMIN, "race-win", "330000"))

    def body(i: int) -> dict:
        return {
            "opens_at": "2008-10-01T00:00:00+08:00",
            "due_at": f"2008-10-{10 + i}T00:00:00+08:00",
            "locks_at": "2008-11-30T00:00:00+08:00",
        }

    done, _ = outcome(race(N, lambda i: zj.put(f"/api/v1/windows/{quarter}", json=body(i))), 200)
    assert len(done) == N  # setting a window is idempotent: the last writer wins, nobody fails
    assert rel.scalar("SELECT count(*) FROM submission_windows WHERE quarter = :q", q=quarter) == 1
    stored = rel.scalar(
        "SELECT due_at FROM submission_windows WHERE province_code = '330000' AND quarter = :q", q=quarter
    )
    assert (
        stored.isoformat() in {a.json()["due_at"].replace("Z", "+00:00") for a in done} or stored is not None
    )


def test_flags_frozen_at_once(api, rel):  # noqa: ANN001
    zj = api.client_for(actor(Role.PROVINCIAL_ADMIN, "race-flags", "440000"))
    done, refused = outcome(race(N, lambda i: zj.post(f"/api/v1/flags/{QUARTER}/freeze")), 201)
    assert len(done) == 1, [a.text for a in refused]
    sequential = zj.post(f"/api/v1/flags/{QUARTER}/freeze")
    assert sequential.status_code == 409 and {r.json()["error"] for r in refused} == {
        sequential.json()["error"]
    }
    assert (
        rel.scalar(
            "SELECT count(*) FROM flag_snapshots WHERE quarter = :q AND scope = 'province:440000'", q=QUARTER
        )
        == 1
    )


def _center(api, rel, province: str) -> int:  # noqa: ANN001
    nat = api.client_for(actor(Role.NATIONAL_ADMIN, f"race-center-{province}"))
    nat.post(
        "/api/v1/qc-centers", json={"level": "provincial", "province_code": province, "name": "质控中心"}
    )
    return rel.scalar(
        "SELECT id FROM qc_centers WHERE province_code = :p AND specialty_code IS NULL AND level = 'provincial'",
        p=province,
    )


def test_one_target_set_at_once(api, rel):  # noqa: ANN001
    center = _center(api, rel, "440000")
    gd = api.client_for(actor(Role.PROVINCIAL_ADMIN, "race-target", "440000"))
    answers = race(
        N,
        lambda i: gd.put(f"/api/v1/qc-centers/{center}/targets/TST-2009-I.2", json={"target": f"0.{i + 1}"}),
    )
    done, _ = outcome(answers, 200)
    assert done, [a.text for a in answers]
    assert rel.scalar("SELECT count(*) FROM benchmark_targets WHERE qc_center_id = :c", c=center) == 1


def test_one_applicability_set_at_once(api, rel):  # noqa: ANN001
    hospital = rel.add_hospital("510000", "并发适用性医院")
    sc = api.client_for(actor(Role.PROVINCIAL_ADMIN, "race-appl", "510000"))
    statuses = ["required", "not_applicable"]
    answers = race(
        N,
        lambda i: sc.put(
            f"/api/v1/hospitals/{hospital}/applicability",
            json={"goal": "TST-2009-I", "status": statuses[i % 2], "reason": f"理由 {i}"},
        ),
    )
    done, _ = outcome(answers, 200)
    assert done, [a.text for a in answers]
    assert rel.scalar("SELECT count(*) FROM indicator_applicability WHERE hospital_id = :h", h=hospital) == 1


def test_one_catalog_published_twice_at_once():
    """`qcp catalog publish` run twice at the same instant (two operators, or a retried job): one
    publishes, the other waits and reports the files unchanged — never a unique violation."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from services.catalog.publish import publish_step
    from services.core.config import PROJECT_ROOT
    from tests.db import fresh_database

    source = PROJECT_ROOT / "services" / "catalog" / "data" / "catalog-2021.yaml"
    with fresh_database("qcp_race_catalog") as urls:
        engine = create_engine(urls.owner, pool_size=N)
        barrier = threading.Barrier(N)

        def publish(_: int) -> str:
            barrier.wait()
            try:
                with Session(engine) as session, session.begin():
                    return publish_step(session, sources=[source], published_by="race").results[0].status
            except Exception as exc:  # noqa: BLE001 - what the test is about
                return type(exc).__name__

        with ThreadPoolExecutor(N) as pool:
            outcomes = sorted(pool.map(publish, range(N)))
        with engine.connect() as conn:
            conn.execute(text("SELECT set_config('app.all_provinces', 'on', false)"))
            revisions = conn.execute(
                text("SELECT count(*) FROM catalog_revisions WHERE year = 2021")
            ).scalar()
        engine.dispose()
    assert outcomes == ["published"] + ["unchanged"] * (N - 1), outcomes
    assert revisions == 1
