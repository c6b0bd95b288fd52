"""The roles matrix: YAML ↔ Role enum ↔ docs/roles.md, and can/require over real actors."""

from __future__ import annotations

import pytest
import yaml

from services.core.actor import Actor, Role
from services.core.config import PROJECT_ROOT
from services.core.errors import PermissionDenied
from services.identity.permissions import MATRIX_PATH, Scope, _validate, can, matrix, render_markdown, require

NAT = Actor("n", frozenset({Role.NATIONAL_ADMIN}))
NAT_ANALYST = Actor("na", frozenset({Role.NATIONAL_ANALYST}))
ZJ_ADMIN = Actor("p", frozenset({Role.PROVINCIAL_ADMIN}), province="330000")
ZJ_ANALYST = Actor("pa", frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
ZJ_ICU = Actor("s", frozenset({Role.SPECIALTY_QC}), province="330000", specialty="icu")
SUBMITTER = Actor("h", frozenset({Role.HOSPITAL_SUBMITTER}), province="330000", hospital_id=1)
VIEWER = Actor("v", frozenset({Role.HOSPITAL_VIEWER}), province="330000", hospital_id=1)
SYSTEM = Actor("m", frozenset({Role.HOSPITAL_SYSTEM}), province="330000", hospital_id=1, client_id="hosp")


def test_doc_table_matches_the_yaml():
    doc = (PROJECT_ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    assert doc == render_markdown(), (
        "docs/roles.md is stale: python -m services.identity.permissions > docs/roles.md"
    )


def test_matrix_covers_every_role_and_action():
    m = matrix()
    assert set(m.roles) == {r.value for r in Role}
    assert {"catalog.read", "submission.write", "review.decide", "tenant.onboard", "audit.read"} <= set(
        m.actions
    )


def test_matrix_with_a_missing_cell_is_refused():
    raw = yaml.safe_load(MATRIX_PATH.read_text(encoding="utf-8"))
    del raw["roles"]["hospital_viewer"]["grants"]["audit.read"]
    with pytest.raises(ValueError, match="hospital_viewer"):
        _validate(raw)


@pytest.mark.parametrize(
    ("actor", "action", "scope"),
    [
        (NAT, "tenant.onboard", Scope.NATIONAL),
        (NAT, "submission.write", None),
        (NAT_ANALYST, "benchmark.read", Scope.NATIONAL),
        (NAT_ANALYST, "registry.hospital.write", None),
        (ZJ_ADMIN, "review.decide", Scope.PROVINCE),
        (ZJ_ADMIN, "window.manage", Scope.PROVINCE),
        (ZJ_ADMIN, "registry.network.write", Scope.PROVINCE),
        (ZJ_ANALYST, "benchmark.read", Scope.PROVINCE),
        (ZJ_ANALYST, "review.decide", None),
        (ZJ_ICU, "benchmark.read", Scope.SPECIALTY),
        (ZJ_ICU, "window.manage", None),
        (SUBMITTER, "submission.write", Scope.HOSPITAL),
        (VIEWER, "submission.write", None),
        (VIEWER, "submission.read", Scope.HOSPITAL),
        (SYSTEM, "submission.write", Scope.HOSPITAL),
        (SYSTEM, "benchmark.read", None),
        (SYSTEM, "audit.read", None),
    ],
)
def test_can(actor, action, scope):
    assert can(actor, action) == scope


def test_widest_scope_wins_for_several_roles():
    both = Actor(
        "x", frozenset({Role.PROVINCIAL_ANALYST, Role.SPECIALTY_QC}), province="330000", specialty="icu"
    )
    assert can(both, "benchmark.read") is Scope.PROVINCE


def test_scope_without_its_anchor_fails_closed():
    assert can(Actor("p", frozenset({Role.PROVINCIAL_ADMIN})), "review.decide") is None
    assert (
        can(Actor("h", frozenset({Role.HOSPITAL_SUBMITTER}), province="330000"), "submission.write") is None
    )
    assert can(Actor("s", frozenset({Role.SPECIALTY_QC})), "benchmark.read") is None


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        can(NAT, "submission.delete")


def test_require_raises_permission_denied_in_both_languages():
    assert require(SUBMITTER, "submission.write") is Scope.HOSPITAL
    with pytest.raises(PermissionDenied) as caught:
        require(VIEWER, "submission.write")
    assert caught.value.status == 403 and caught.value.extra == {"action": "submission.write"}
    assert (
        "无权上报季度数据" in caught.value.detail and "may not submit quarterly data" in caught.value.detail
    )
