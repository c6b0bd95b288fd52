"""Row-level security, exercised as the restricted app role with raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from tests.db import act_as_app, act_as_owner

ZJ = Actor(subject="zj-admin", roles=frozenset({Role.PROVINCIAL_ADMIN}), province="330000")
GD = Actor(subject="gd-admin", roles=frozenset({Role.PROVINCIAL_ADMIN}), province="440000")
NATIONAL = Actor(subject="nat", roles=frozenset({Role.NATIONAL_ANALYST}))


def _hospital(session: Session, province: str, credit: str, name: str) -> int:
    return session.execute(
        text(
            "INSERT INTO hospitals (province_code, credit_code, name, level, grade, type, prefecture_code, beds)"
            " VALUES (:p, :c, :n, '三级', '甲等', '综合', :pref, 800) RETURNING id"
        ),
        {"p": province, "c": credit, "n": name, "pref": province[:2] + "0100"},
    ).scalar_one()


@pytest.fixture
def two_provinces(owner_session: Session) -> dict[str, int]:
    ids = {
        "zj": _hospital(owner_session, "330000", "12330000470051726F", "浙江测试医院"),
        "gd": _hospital(owner_session, "440000", "12440000455858093X", "广东测试医院"),
    }
    for key, prov in (("zj", "330000"), ("gd", "440000")):
        owner_session.execute(
            text(
                "INSERT INTO audit_log (province_code, actor_subject, actor_roles, action, entity, entity_id)"
                " VALUES (:p, 'test', ARRAY['provincial_admin'], 'hospital.create', 'hospital', :id)"
            ),
            {"p": prov, "id": str(ids[key])},
        )
    return ids


def _names(session: Session) -> set[str]:
    return set(session.execute(text("SELECT name FROM hospitals")).scalars())


def test_province_bound_transaction_reads_only_its_rows(owner_session, two_provinces):
    act_as_app(owner_session, ZJ)
    # other suites may have committed hospitals of their own: what matters is that every row seen is 浙江's
    names = _names(owner_session)
    assert "浙江测试医院" in names and "广东测试医院" not in names
    assert owner_session.execute(text("SELECT DISTINCT province_code FROM hospitals")).scalars().all() == [
        "330000"
    ]
    audit = owner_session.execute(text("SELECT DISTINCT province_code FROM audit_log")).scalars().all()
    assert audit == ["330000"]


def test_unbound_transaction_sees_nothing(owner_session, two_provinces):
    act_as_app(owner_session, None)
    assert _names(owner_session) == set()
    assert owner_session.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0
    assert owner_session.execute(text("SELECT count(*) FROM qc_centers")).scalar_one() == 0


def test_national_scope_reads_every_province(owner_session, two_provinces):
    act_as_app(owner_session, NATIONAL)
    assert {"浙江测试医院", "广东测试医院"} <= _names(owner_session)


def test_cannot_insert_into_another_province(owner_session, two_provinces):
    act_as_app(owner_session, ZJ)
    with pytest.raises(ProgrammingError, match="row-level security"):
        _hospital(owner_session, "440000", "124400004558580938", "偷偷插入")


def test_cannot_update_another_provinces_rows(owner_session, two_provinces):
    act_as_app(owner_session, ZJ)
    result = owner_session.execute(
        text("UPDATE hospitals SET name = 'hijacked' WHERE id = :id"), {"id": two_provinces["gd"]}
    )
    assert result.rowcount == 0
    act_as_owner(owner_session)
    name = owner_session.execute(
        text("SELECT name FROM hospitals WHERE id = :id"), {"id": two_provinces["gd"]}
    ).scalar()
    assert name == "广东测试医院"


def test_cannot_move_own_row_into_another_province(owner_session, two_provinces):
    act_as_app(owner_session, ZJ)
    with pytest.raises(ProgrammingError, match="row-level security"):
        owner_session.execute(
            text("UPDATE hospitals SET province_code = '440000', prefecture_code = '440100' WHERE id = :id"),
            {"id": two_provinces["zj"]},
        )


def test_cannot_delete_any_rows(owner_session, two_provinces):
    act_as_app(owner_session, ZJ)
    with pytest.raises(ProgrammingError, match="permission denied"):
        owner_session.execute(text("DELETE FROM hospitals WHERE id = :id"), {"id": two_provinces["gd"]})


def test_hospital_role_sees_only_its_own_hospital(owner_session, two_provinces):
    other = _hospital(owner_session, "330000", "12330000MB0000001X", "浙江另一家医院")
    me = Actor(
        subject="h",
        roles=frozenset({Role.HOSPITAL_VIEWER}),
        province="330000",
        hospital_id=two_provinces["zj"],
    )
    act_as_app(owner_session, me)
    assert _names(owner_session) == {"浙江测试医院"}
    assert (
        owner_session.execute(text("SELECT count(*) FROM hospitals WHERE id = :id"), {"id": other}).scalar()
        == 0
    )


def test_app_role_cannot_rewrite_audit_history(owner_session, two_provinces):
    act_as_app(owner_session, ZJ)
    with pytest.raises(ProgrammingError, match="permission denied"):
        owner_session.execute(text("UPDATE audit_log SET reason = 'x'"))


def test_audit_log_is_append_only_even_for_the_owner(owner_session, two_provinces):
    with pytest.raises(DBAPIError, match="append-only"):
        owner_session.execute(text("DELETE FROM audit_log"))


def test_tenant_setting_does_not_survive_the_transaction(app_database):
    with app_database.engine.connect() as conn:
        with conn.begin():
            conn.execute(text("SELECT set_config('app.province', '330000', true)"))
        with conn.begin():
            assert conn.execute(text("SELECT current_setting('app.province', true)")).scalar() in (None, "")


def test_every_table_with_a_province_column_has_forced_rls_and_a_policy(owner_session):
    rows = owner_session.execute(
        text(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
              AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'province_code' AND NOT a.attisdropped)
            """
        )
    ).all()
    assert len(rows) >= 5
    unprotected = [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity and r.policies)]
    assert unprotected == []


def test_app_role_owns_nothing_and_cannot_bypass_rls(owner_session):
    role = owner_session.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'qcp_app'")
    ).one()
    assert role == (False, False)
    owned = owner_session.execute(
        text(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = 'qcp_app')"
        )
    ).scalar()
    assert owned == 0


def test_public_catalog_tables_are_read_only_for_the_app(owner_session):
    act_as_app(owner_session, NATIONAL)
    with pytest.raises(ProgrammingError, match="permission denied"):
        owner_session.execute(
            text("INSERT INTO specialties (code, seq, name, name_en) VALUES ('x', 99, 'x', 'x')")
        )
