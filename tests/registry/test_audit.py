from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError

from services import audit
from services.core.actor import Actor, Role
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.models import AuditEntry
from tests.db import act_as_owner
from tests.registry.conftest import GD_ADMIN, NAT_ADMIN, ZJ_ADMIN, ZJ_ANALYST, new_hospital, use


def _seed(session, subject: str, count: int = 3) -> None:
    for province in ("330000", "440000"):
        actor = Actor(subject, frozenset({Role.PROVINCIAL_ADMIN}), province=province)
        use(session, actor)
        for i in range(count):
            audit.record(
                session, actor, action="test.event", entity="thing", entity_id=i, before=None, after={"i": i}
            )


def test_record_names_actor_roles_client_and_tenant(registry):
    use(registry, ZJ_ADMIN)
    entry = audit.record(
        registry,
        ZJ_ADMIN,
        action="hospital.update",
        entity="hospital",
        entity_id=7,
        before={"beds": 1},
        after={"beds": 2},
        reason="why",
    )
    act_as_owner(registry)
    row = registry.get(AuditEntry, entry.id)
    assert (row.actor_subject, row.actor_roles, row.client_id, row.province_code) == (
        "zj-admin",
        ["provincial_admin"],
        "qcp-dashboard",
        "330000",
    )
    assert (row.entity_id, row.before, row.after, row.outcome) == ("7", {"beds": 1}, {"beds": 2}, "ok")


def test_provincial_actor_cannot_write_another_tenants_audit_row(registry):
    use(registry, ZJ_ADMIN)
    with pytest.raises(ProgrammingError, match="row-level security"):
        audit.record(
            registry,
            ZJ_ADMIN,
            action="x",
            entity="x",
            entity_id=1,
            before=None,
            after=None,
            province_code="440000",
        )


def test_app_role_cannot_update_or_delete_audit_rows(registry):
    hospital = new_hospital(registry, ZJ_ADMIN)
    use(registry, ZJ_ADMIN)
    for statement in (
        "UPDATE audit_log SET reason = 'rewritten' WHERE entity_id = :id",
        "DELETE FROM audit_log WHERE entity_id = :id",
    ):
        with pytest.raises(ProgrammingError, match="permission denied"):
            with registry.begin_nested():  # the savepoint keeps the transaction usable for the next try
                registry.execute(text(statement), {"id": str(hospital.id)})
    act_as_owner(registry)
    count = (
        registry.execute(select(AuditEntry).where(AuditEntry.entity_id == str(hospital.id))).scalars().all()
    )
    assert len(count) == 1


def test_national_admin_reads_everything_provincial_admin_only_their_province(registry):
    subject = f"seed-{uuid.uuid4().hex[:8]}"
    _seed(registry, subject)
    filters = audit.AuditFilters(actor_subject=subject)
    use(registry, NAT_ADMIN)
    assert len(audit.read_audit(registry, NAT_ADMIN, filters=filters).items) == 6
    use(registry, ZJ_ADMIN)
    page = audit.read_audit(registry, ZJ_ADMIN, filters=filters)
    assert {e.province_code for e in page.items} == {"330000"} and len(page.items) == 3
    # asking for another province by filter yields nothing, not an error
    other = audit.read_audit(
        registry, ZJ_ADMIN, filters=filters.model_copy(update={"province_code": "440000"})
    )
    assert other.items == []


def test_pages_with_a_cursor_newest_first(registry):
    subject = f"seed-{uuid.uuid4().hex[:8]}"
    _seed(registry, subject)
    use(registry, GD_ADMIN)
    filters = audit.AuditFilters(actor_subject=subject)
    first = audit.read_audit(registry, GD_ADMIN, filters=filters, limit=2)
    second = audit.read_audit(registry, GD_ADMIN, filters=filters, limit=2, cursor=first.next_cursor)
    assert [e.entity_id for e in first.items] == ["2", "1"] and first.next_cursor
    assert [e.entity_id for e in second.items] == ["0"] and second.next_cursor is None
    with pytest.raises(ValidationFailed, match="cursor"):
        audit.read_audit(registry, GD_ADMIN, filters=filters, cursor="abc")


def test_analysts_cannot_read_the_audit_log(registry):
    use(registry, ZJ_ANALYST)
    with pytest.raises(PermissionDenied):
        audit.read_audit(registry, ZJ_ANALYST)


def test_denial_survives_the_rollback_of_the_request(app_database, owner_engine):
    subject = f"intruder-{uuid.uuid4().hex[:8]}"
    actor = Actor(subject, frozenset({Role.PROVINCIAL_ADMIN}), province="330000")
    with pytest.raises(NotFound):
        with app_database.unit_of_work(actor) as session:  # the request's transaction
            audit.record(
                session,
                actor,
                action="hospital.update",
                entity="hospital",
                entity_id=1,
                before=None,
                after={"name": "x"},
            )
            with audit.denials_recorded(
                app_database, actor, action="hospital.update", entity="hospital", entity_id=424242
            ):
                raise NotFound("医院 424242 不存在 / hospital 424242 does not exist")
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, outcome, entity_id, province_code, reason FROM audit_log WHERE actor_subject = :s"
            ),
            {"s": subject},
        ).all()
    # the request's own audit row was rolled back with it; the denial was committed separately
    assert [tuple(r) for r in rows] == [
        (
            "hospital.update",
            "denied",
            "424242",
            "330000",
            "医院 424242 不存在 / hospital 424242 does not exist",
        )
    ]


def test_national_denial_has_no_tenant(app_database, owner_engine):
    subject = f"nat-{uuid.uuid4().hex[:8]}"
    actor = Actor(subject, frozenset({Role.NATIONAL_ANALYST}))
    audit.record_denied(app_database, actor, action="test.denied", entity="qc_center", reason="role")
    with owner_engine.connect() as conn:
        province = conn.execute(
            text("SELECT province_code FROM audit_log WHERE actor_subject = :s"), {"s": subject}
        ).scalar_one()
    assert province is None
