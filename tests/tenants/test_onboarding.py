"""Onboarding against real PostgreSQL (owner role, rolled back) and the Keycloak stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from services.core.errors import ValidationFailed
from services.models import Hospital
from services.registry.credit_code import check_character
from services.registry.schemas import HospitalCreate
from tenants import onboarding
from tenants.keycloak_admin import KeycloakAdminSettings, TenantDirectory
from tests.tenants.keycloak_standin import RunningStandin, start_standin

BODY = "12330100MB1234567"
CODE = BODY + check_character(BODY)


@pytest.fixture(scope="module")
def keycloak_server() -> Iterator[RunningStandin]:
    standin = start_standin()
    yield standin
    standin.stop()


@pytest.fixture
def keycloak(keycloak_server: RunningStandin) -> RunningStandin:
    keycloak_server.state.reset()
    return keycloak_server


@pytest.fixture
def directory(keycloak) -> TenantDirectory:
    return TenantDirectory.connect(KeycloakAdminSettings(server_url=keycloak.url, password="admin-pass"))


def _hospital(**overrides) -> HospitalCreate:
    values = dict(
        province_code="330000",
        credit_code=CODE,
        name="浙江省人民医院",
        level="三级",
        grade="甲等",
        type="综合",
        prefecture_code="330100",
        beds=1800,
    )
    return HospitalCreate(**{**values, **overrides})


def _counts(session) -> dict[str, int]:
    tables = ("hospitals", "qc_centers", "audit_log")
    return {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}


def _already(outcome) -> bool:
    return not outcome.changed and all("already" in line for line in outcome.lines)


def test_onboarding_a_province_is_idempotent(owner_session, keycloak, directory):
    first = onboarding.onboard_province(owner_session, directory, province_code="330000")
    assert first.changed and all("created" in line for line in first.lines)
    onboarded = owner_session.execute(
        text("SELECT onboarded_at FROM provinces WHERE code = '330000'")
    ).scalar()
    center = owner_session.execute(
        text("SELECT name, level, specialty_code FROM qc_centers WHERE province_code = '330000'")
    ).one()
    assert onboarded is not None and tuple(center) == ("浙江省医疗质量控制中心", "provincial", None)
    group = next(g for g in keycloak.state.groups.values() if g["path"] == "/provinces/330000")
    assert group["attributes"] == {"province": ["330000"]}

    rows, writes, paths = _counts(owner_session), len(keycloak.state.writes), keycloak.state.group_paths()
    second = onboarding.onboard_province(owner_session, directory, province_code="330000")
    assert _already(second) and len(second.lines) == len(first.lines)
    assert _counts(owner_session) == rows
    assert len(keycloak.state.writes) == writes and keycloak.state.group_paths() == paths


def test_adding_a_hospital_creates_a_client_credentials_client_once(owner_session, keycloak, directory):
    onboarding.onboard_province(owner_session, directory, province_code="330000")
    first = onboarding.add_hospital(owner_session, directory, data=_hospital())
    hid = first.hospital_id
    [client] = [c for c in keycloak.state.clients.values() if c["clientId"] == f"hosp-330000-{hid}"]
    assert first.secret == client["secret"]
    assert (
        client["publicClient"],
        client["serviceAccountsEnabled"],
        client["standardFlowEnabled"],
        client["directAccessGrantsEnabled"],
        client["implicitFlowEnabled"],
    ) == (False, True, False, False, False)
    mappers = {m["name"]: m["config"] for m in keycloak.state.mappers[client["id"]]}
    assert mappers["province"]["claim.value"] == "330000"
    assert (
        mappers["hospital_id"]["claim.value"] == str(hid)
        and mappers["hospital_id"]["jsonType.label"] == "long"
    )
    assert mappers["audience-qcp-api"]["included.client.audience"] == "qcp-api"
    roles = keycloak.state.role_mappings[client["serviceAccountUserId"]]
    assert [r["name"] for r in roles] == ["hospital_system"]
    assert f"/provinces/330000/{hid}" in keycloak.state.group_paths()

    rows, writes = _counts(owner_session), len(keycloak.state.writes)
    second = onboarding.add_hospital(owner_session, directory, data=_hospital(credit_code=CODE.lower()))
    assert _already(second) and second.secret is None and second.hospital_id == hid
    assert _counts(owner_session) == rows and len(keycloak.state.writes) == writes


def test_invalid_hospital_creates_nothing_anywhere(owner_session, keycloak, directory):
    onboarding.onboard_province(owner_session, directory, province_code="330000")
    rows, writes = _counts(owner_session), len(keycloak.state.writes)
    with pytest.raises(ValidationFailed, match="prefecture"):
        onboarding.add_hospital(owner_session, directory, data=_hospital(prefecture_code="331200"))
    assert _counts(owner_session) == rows and len(keycloak.state.writes) == writes


def test_hospital_in_a_province_not_onboarded_is_refused(owner_session, directory):
    with pytest.raises(ValidationFailed, match="not onboarded"):
        onboarding.add_hospital(owner_session, directory, data=_hospital())


def test_offboarding_a_hospital_disables_access_and_keeps_data(owner_session, keycloak, directory):
    onboarding.onboard_province(owner_session, directory, province_code="330000")
    hid = onboarding.add_hospital(owner_session, directory, data=_hospital()).hospital_id
    person = keycloak.state.add_user("zj-h-submitter", f"/provinces/330000/{hid}")
    out = onboarding.offboard(owner_session, directory, hospital_id=hid, reason="合并 / merged")
    assert out.changed
    row = owner_session.execute(
        text("SELECT active, deactivated_at FROM hospitals WHERE id = :i"), {"i": hid}
    ).one()
    assert row.active is False and row.deactivated_at is not None
    [client] = [c for c in keycloak.state.clients.values() if c["clientId"] == f"hosp-330000-{hid}"]
    assert client["enabled"] is False and keycloak.state.users[person]["enabled"] is False
    writes = len(keycloak.state.writes)
    assert _already(onboarding.offboard(owner_session, directory, hospital_id=hid))
    assert len(keycloak.state.writes) == writes


def test_offboarding_a_province_disables_every_client_and_blocks_re_onboarding(
    owner_session, keycloak, directory
):
    onboarding.onboard_province(owner_session, directory, province_code="330000")
    onboarding.add_hospital(owner_session, directory, data=_hospital())
    out = onboarding.offboard(owner_session, directory, province_code="330000")
    assert out.changed
    assert all(not c["enabled"] for c in keycloak.state.clients.values())
    assert owner_session.execute(text("SELECT count(*) FROM hospitals")).scalar() >= 1
    assert _already(onboarding.offboard(owner_session, directory, province_code="330000"))
    with pytest.raises(ValidationFailed, match="offboarded"):
        onboarding.onboard_province(owner_session, directory, province_code="330000")


def test_without_keycloak_the_database_steps_still_run(owner_session):
    out = onboarding.onboard_province(owner_session, None, province_code="440000")
    assert out.changed and "skipped" in out.lines[-1]


def test_cli_prints_the_secret_once(owner_session, keycloak, monkeypatch):
    from platform_api.cli import common
    from platform_api.cli.tenants import app

    @contextmanager
    def same_session():
        yield owner_session
        owner_session.flush()

    monkeypatch.setattr(common, "owner_session", same_session)
    env = {"QCP_KEYCLOAK_ADMIN_URL": keycloak.url, "QCP_KEYCLOAK_ADMIN_PASSWORD": "admin-pass"}
    runner = CliRunner()
    assert runner.invoke(app, ["onboard", "--province", "330000"], env=env).exit_code == 0
    args = [
        "add-hospital",
        "--province",
        "330000",
        "--credit-code",
        CODE,
        "--name",
        "浙江省人民医院",
        "--level",
        "三级",
        "--grade",
        "甲等",
        "--type",
        "综合",
        "--prefecture",
        "330100",
        "--beds",
        "1800",
        "--reports-from",
        "2022Q1",
    ]
    first = runner.invoke(app, args, env=env)
    secret = next(c["secret"] for c in keycloak.state.clients.values())
    assert first.exit_code == 0, first.output
    assert secret in first.output and "shown ONCE" in first.output
    registered = owner_session.execute(
        select(Hospital.reports_from).where(Hospital.credit_code == CODE)
    ).scalar_one()
    assert registered == "2022Q1"
    second = runner.invoke(app, args, env=env)
    assert second.exit_code == 0 and secret not in second.output and "already" in second.output
    bad = runner.invoke(app, [*args[:4], "91350100M000100Y44", *args[5:]], env=env)
    assert bad.exit_code == 1 and "expected 3, got 4" in bad.output
