"""Cross-tenant matrix: another province, another hospital, another specialty get the same answer as
for a record that does not exist, see none of the target's data, and change nothing.

The cases live in ``matrix_cases.py``. The route table of ``create_app`` decides what must be
covered: a route with neither a case nor an exemption (with its reason) fails the suite, and so
does a case or exemption naming a route that no longer exists.
"""

from __future__ import annotations

import json
import re
from functools import cache

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import create_engine, text

from platform_api.app import create_app
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings
from services.core.actor import Actor
from services.core.db import Database
from services.demo.registry_data import demo_hospitals, demo_networks, make_credit_code
from tests.security.matrix_cases import (
    ATTACKERS,
    BASE,
    CASES,
    EXEMPT,
    MISSING,
    OTHER_SPECIALTY,
    TARGETS,
    Case,
)
from tests.submission_io.builders import bundle, report

NOT_AUDITED = {"audit_log", "alembic_version"}  # refusals are audited on purpose (their own transaction)


@cache
def app_routes() -> frozenset[tuple[str, str]]:
    """(method, path) of every route create_app registers (HEAD mirrors GET; a mounted application is
    ("MOUNT", prefix), so it too needs a case or an exemption). No database is touched."""
    database = Database.from_url("postgresql+psycopg://nobody:x@127.0.0.1:9/none")
    settings = ApiSettings(environment="test", dev_issuer=True, dev_issuer_port=9)
    app = create_app(
        database=database,
        settings=settings,
        verifier=TokenVerifier(server_url="http://127.0.0.1:9", realm="qcp"),
    )
    contexts = iter_route_contexts(app.routes)
    routes = {(m, r.path) for r in contexts for m in (r.methods or ("MOUNT",)) if m != "HEAD"}
    database.dispose()
    return frozenset(routes)


def test_every_route_has_a_case_or_an_exemption():
    covered = {(c.method, c.route) for c in CASES} | set(EXEMPT)
    missing = sorted(app_routes() - covered)
    assert not missing, (
        f"routes without a cross-tenant case (add one to matrix_cases.CASES, "
        f"or to EXEMPT with a reason): {missing}"
    )


def test_cases_and_exemptions_name_existing_routes():
    stale = sorted(({(c.method, c.route) for c in CASES} | set(EXEMPT)) - app_routes())
    assert not stale, f"cases or exemptions for routes that no longer exist: {stale}"


def test_exempt_routes_are_not_also_cases_and_say_why():
    assert not {(c.method, c.route) for c in CASES} & set(EXEMPT)
    assert all(reason.strip() for reason in EXEMPT.values())


def test_every_attack_names_a_known_attacker_and_target():
    for case in CASES:
        for attack in case.attacks:
            attacker, target = attack.split(">")
            assert attacker in ATTACKERS and target in TARGETS, f"{case.method} {case.url}: {attack}"
        assert set(case.xfail) <= set(case.attacks), f"{case.method} {case.url}: xfail names no attack"


# ---------------------------------------------------------------- the demo world


@pytest.fixture(scope="module")
def demo_owner(demo_db_urls):
    engine = create_engine(demo_db_urls.owner)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def world(demo_ids, demo_owner) -> dict:
    """Symbol → value: hospital ids, their credit codes and names, networks, memberships, QC centers."""
    symbols: dict = {
        "CC:MISSING": make_credit_code("330100", 9999),
        "CC:NEW": make_credit_code("440100", 9998),
    }
    names: dict = {}
    with demo_owner.connect() as conn:
        rows = {r.id: r for r in conn.execute(text("SELECT id, name, credit_code FROM hospitals"))}
        networks = dict(conn.execute(text("SELECT name, id FROM networks")).all())
        for key, hospital_id in demo_ids["hospitals"].items():
            symbols[key], symbols[f"CC:{key}"] = hospital_id, rows[hospital_id].credit_code
            names[key] = rows[hospital_id].name
        for net in demo_networks(demo_hospitals()):
            symbols[net.key] = networks[net.name]
            names[net.key] = net.name
            first = text("SELECT min(id) FROM network_memberships WHERE network_id = :n")
            symbols[f"M:{net.key}"] = conn.execute(first, {"n": networks[net.name]}).scalar()
    for province, center_id in demo_ids["centers"].items():
        symbols[f"C:{province}"] = center_id
    return {"symbols": symbols, "names": names}


@pytest.fixture(scope="module")
def clients(demo_api, world):
    """One client (one real signed token) per attacker, made on first use."""
    made: dict[str, httpx.Client] = {}

    def client(name: str) -> httpx.Client:
        if name not in made:
            role, hospital, specialty = ATTACKERS[name]
            actor = Actor(
                subject=f"matrix-{name}",
                roles=frozenset({role}),
                province="330000",
                hospital_id=world["symbols"][hospital] if hospital else None,
                specialty=specialty,
                qc_center_id=None if specialty else world["symbols"]["C:330000"],
                name=name,
            )
            made[name] = demo_api.client_for(actor)
        return made[name]

    return client


def tenant_checksum(engine) -> dict[str, tuple]:  # noqa: ANN001
    """Per table (the audit log excepted): row count and newest row version. Any insert or update writes a
    row whose xmin is a newer transaction id than every committed one; a delete lowers the count."""
    with engine.connect() as conn:
        tables = [
            t
            for t in conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                    " AND table_type = 'BASE TABLE' ORDER BY 1"
                )
            ).scalars()
            if t not in NOT_AUDITED
        ]
        query = " UNION ALL ".join(
            f"SELECT '{t}', count(*), coalesce(max(xmin::text::bigint), 0) FROM \"{t}\"" for t in tables
        )
        return {name: (count, newest) for name, count, newest in conn.execute(text(query))}


# ---------------------------------------------------------------- one attack


def params(world: dict, attacked: dict, replace_with: dict | None = None) -> dict:
    """BASE with the attacked placeholders set (to the target, or to ``replace_with``'s values)."""
    chosen = {**BASE, **{k: (replace_with or attacked)[k] for k in attacked}}
    return {k: world["symbols"].get(v, v) if isinstance(v, str) else v for k, v in chosen.items()}


def request_for(case: Case, p: dict) -> dict:
    """httpx.Client.request arguments for ``case`` with placeholders ``p``."""
    url = case.url.format(**p)
    if case.kind == "csv":
        data = (
            f"\ufeff#QCP,hospital={p['hospital']},quarter=2023Q4,catalog=2023\r\n"
            "指标编码,指标名称,分子定义,分母定义,单位,分子,分母,备注\r\nNIT-2023-IV.1,a,b,c,%,1,1200,\r\n"
        )
        return {"method": "POST", "url": url, "files": {"file": ("q.csv", data.encode(), "text/csv")}}
    if case.kind.startswith("fhir"):
        one = report("NIT-2023-IV.1", 1, 1200, start="2023-10-01", end="2023-12-31", credit=p["credit"])
        doc = one if case.kind == "fhir-report" else bundle(one, kind="batch")
        return {
            "method": "POST",
            "url": url,
            "content": json.dumps(doc),
            "headers": {"Content-Type": "application/fhir+json"},
        }
    return {"method": case.method, "url": url, "json": case.body(p) if case.body else None}


def normalised(response: httpx.Response, target: dict, missing: dict) -> str:
    """The answer's text with the target's ids written as the missing record's ids."""
    body = response.text
    for key, value in target.items():
        if str(value) != str(missing[key]):
            body = re.sub(rf"(?<![\w.]){re.escape(str(value))}(?![\w.])", str(missing[key]), body)
    return body


def error_code(response: httpx.Response) -> object:
    try:
        payload = response.json()
    except ValueError:
        return None
    if isinstance(payload, dict) and payload.get("resourceType") == "OperationOutcome":
        return sorted(i.get("code") for i in payload.get("issue", []))
    return payload.get("error") if isinstance(payload, dict) else None


def _attack_params():
    for case in CASES:
        for attack in case.attacks:
            known = case.xfail.get(attack)
            marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
            yield pytest.param(case, attack, id=f"{case.method} {case.url} {attack}", marks=marks)


VISIBLE_TARGETS = {"specialty_submission"}


@pytest.mark.parametrize(("case", "attack"), list(_attack_params()))
def test_cross_tenant_answers_like_a_missing_record(case, attack, world, clients, demo_owner):
    attacker, target_name = attack.split(">")
    attacked = TARGETS[target_name]
    target, missing = params(world, attacked), params(world, attacked, MISSING)
    attempt, twin = request_for(case, target), request_for(case, missing)
    writes = case.method != "GET"
    before = tenant_checksum(demo_owner) if writes else None
    answer, reference = clients(attacker).request(**attempt), clients(attacker).request(**twin)
    if writes:
        assert tenant_checksum(demo_owner) == before, "a refused cross-tenant write changed tenant data"
    assert_meaningful(answer)
    assert (answer.status_code, error_code(answer)) == (reference.status_code, error_code(reference)), (
        f"{attack}: target answered {answer.status_code} {answer.text[:300]}\n"
        f"missing answered {reference.status_code} {reference.text[:300]}"
    )
    names_nothing = attempt == twin  # e.g. zj_icu>specialty on a URL without {goal}/{indicator}
    assert case.listing or names_nothing or not answer.is_success, f"{attack}: {answer.text[:300]}"
    assert_no_target_data(answer, attacked, world, specialty=target_name == "specialty")
    # (the twin names the same request when the attack names nothing; and a specialty's target hospital
    # is visible to the attacker in the registry anyway: "no such submission" vs "no such hospital" is fine)
    if not names_nothing and target_name not in VISIBLE_TARGETS:
        assert normalised(answer, {k: target[k] for k in attacked}, missing) == reference.text


def assert_meaningful(answer: httpx.Response) -> None:
    """The refusal comes from the platform's checks, not from a wrong URL, a bad token or a bad payload."""
    assert answer.status_code not in (401, 405), answer.text[:300]
    assert error_code(answer) != "invalid_payload", f"the case's request is malformed: {answer.text[:300]}"
    assert not (answer.status_code == 404 and error_code(answer) is None), f"no such URL: {answer.text[:300]}"


def assert_no_target_data(answer: httpx.Response, attacked: dict, world: dict, *, specialty: bool) -> None:
    for key in (v for v in attacked.values() if v in world["names"]):
        assert world["names"][key] not in answer.text, f"the answer names {world['names'][key]}"
    if specialty and answer.is_success:
        leaked = sorted(set(re.findall(OTHER_SPECIALTY, answer.text)))
        assert not leaked, f"重症医学 staff were shown other goals: {leaked}"
