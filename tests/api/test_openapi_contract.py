"""What a generated client needs from the OpenAPI document: every body of every answer has a schema, and
every example belongs to its operation — a 403 example names the permission that operation really
checks (proved against the live app), a 409 example is a conflict that operation can meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from services.core.actor import NATIONAL_ROLES, Actor, Role
from services.identity.permissions import matrix
from tests.api.test_openapi import app, examples_of, operations, resolve, spec  # noqa: F401

PATH_VALUES = {
    "hospital_id": "101",
    "job_id": "1",
    "quarter": "2023Q3",
    "qc_center_id": "1",
    "network_id": "1",
    "membership_id": "1",
    "indicator": "NIT-2023-I.1",
    "filename": "2023Q3.html",
    "code": "NIT-2023-I.1",
    "year": "2023",
}
ROLE_IN_DETAIL = re.compile(r"角色：([a-z_]+)）")
# These look the hospital up (in the caller's scope) before checking the permission, and the session
# database has no hospital 101: they answer 404 here, so only the shape of their example is checked.
LOOKUP_BEFORE_PERMISSION = {"GET /api/v1/hospitals/{hospital_id}/feedback-report/{filename}"}


def media_of(spec: dict) -> Iterator[tuple[str, str, str, dict]]:  # noqa: F811
    for name, op in operations(spec):
        for status, response in op["responses"].items():
            for media_type, media in (response.get("content") or {}).items():
                yield name, status, media_type, media


def test_every_answer_body_has_a_schema(spec):  # noqa: F811
    missing = [
        f"{name} {status} {media_type}"
        for name, status, media_type, media in media_of(spec)
        if not resolve(spec, media.get("schema") or {})
    ]
    assert not missing, f"answers without a schema (a generated client cannot type them): {missing}"


def test_every_422_schema_lists_the_problems(spec):  # noqa: F811
    for name, status, media_type, media in media_of(spec):
        if status == "422" and media_type == "application/json":
            schema = resolve(spec, media["schema"])
            problems = schema["properties"].get("problems")
            assert problems, f"{name}: the 422 schema has no problems list"


def forbidden_examples(spec: dict) -> Iterator[tuple[str, dict, dict]]:  # noqa: F811
    for name, op in operations(spec):
        media = (op["responses"].get("403", {}).get("content") or {}).get("application/json")
        for example in examples_of(media or {}):
            yield name, op, example


def test_403_examples_name_a_real_permission_and_only_their_own(spec):  # noqa: F811
    actions = set(matrix().actions)
    seen: dict[str, set[str]] = {}
    for name, _, example in forbidden_examples(spec):
        action = example.get("action")
        if action is None:  # a refusal of the operation's own (e.g. only admins change settings)
            assert example["error"] == "forbidden" and " / " in example["detail"], (name, example)
            continue
        assert action in actions, f"{name}: {action} is not in services/identity/permissions.yaml"
        assert f"({action})" in example["detail"], (name, example)
        seen.setdefault(action, set()).add(name)
    # the old shared example named the hospital-registry permission on 22 operations, GETs among them
    assert all(n.split(" ")[1].startswith("/api/v1/hospitals") for n in seen["registry.hospital.write"]), seen
    assert not any(n.startswith("GET") for a, names in seen.items() if ".write" in a for n in names), seen


def test_409_examples_belong_to_their_operation(spec):  # noqa: F811
    for name, op in operations(spec):
        media = (op["responses"].get("409", {}).get("content") or {}).get("application/json") or {}
        for example in examples_of(media):
            mentions_credit_code = "credit" in example["detail"] or "hospitals_credit" in str(example)
            if mentions_credit_code:
                assert name in ("POST /api/v1/hospitals", "PATCH /api/v1/hospitals/{hospital_id}"), name


def actor_named_in(example: dict) -> Actor:
    found = ROLE_IN_DETAIL.search(example["detail"])
    assert found, f"403 example does not name the role it was made with: {example}"
    role = Role(found.group(1))
    if role in NATIONAL_ROLES:
        return Actor(subject=f"doc-{role}", roles=frozenset({role}))
    hospital = role in (Role.HOSPITAL_SUBMITTER, Role.HOSPITAL_VIEWER, Role.HOSPITAL_SYSTEM)
    return Actor(
        subject=f"doc-{role}",
        roles=frozenset({role}),
        province="330000",
        hospital_id=101 if hospital else None,
        client_id="qcp-dashboard" if role is Role.HOSPITAL_SYSTEM else None,
    )


def request_for(op: dict, path: str) -> dict:
    """A request the operation accepts in shape: path values, required query examples, its body example."""
    params = {}
    for p in op.get("parameters", []):
        if p["in"] == "query" and p.get("required"):
            params[p["name"]] = (p.get("examples") or {"x": {"value": "2023Q3"}}).popitem()[1]["value"]
    url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)
    content = (op.get("requestBody") or {}).get("content", {})
    kwargs: dict = {"params": params}
    if "application/json" in content:
        examples = examples_of(content["application/json"])
        kwargs["json"] = examples[0] if examples else {}
    elif "multipart/form-data" in content:
        kwargs["files"] = {"file": ("q.csv", b"a,b\n", "text/csv")}
    return {"url": url, **kwargs}


def test_403_examples_are_what_the_live_app_answers(spec, api):  # noqa: F811
    """Each example was made by ``require`` for a role; that role, on the live app, gets exactly it."""
    checked = []
    for name, op, example in forbidden_examples(spec):
        if "action" not in example:
            continue
        method, path = name.split(" ", 1)
        client: httpx.Client = api.client_for(actor_named_in(example))
        answer = client.request(method, **request_for(op, path))
        if name in LOOKUP_BEFORE_PERMISSION and answer.status_code == 404:
            continue
        assert answer.status_code == 403, f"{name}: {answer.status_code} {answer.text[:300]}"
        assert answer.json() == example, f"{name}: documented {example}, answered {answer.json()}"
        checked.append(name)
    assert len(checked) >= 20, checked


@pytest.mark.parametrize("media_type", ["application/json"])
def test_error_schema_is_the_typed_house_body(spec, media_type):  # noqa: F811
    schema = spec["components"]["schemas"]["ApiError"]
    problem = resolve(spec, schema["properties"]["problems"]["anyOf"][0]["items"])
    assert {"field", "problem", "fix", "indicator", "row"} <= set(problem["properties"])
