"""deploy/keycloak/realm-export.json declares what the API relies on (Keycloak cannot run here)."""

from __future__ import annotations

import json
import re

import pytest

from services.core.actor import Role
from services.core.config import PROJECT_ROOT

ATTRIBUTES = ("province", "hospital_id", "qc_center_id", "specialty")


@pytest.fixture(scope="module")
def realm() -> dict:
    return json.loads(
        (PROJECT_ROOT / "deploy" / "keycloak" / "realm-export.json").read_text(encoding="utf-8")
    )


def _client(realm: dict, client_id: str) -> dict:
    return next(c for c in realm["clients"] if c["clientId"] == client_id)


def _mappers(client: dict, kind: str) -> list[dict]:
    return [m for m in client.get("protocolMappers", []) if m["protocolMapper"] == kind]


def test_realm_roles_are_exactly_the_platform_roles(realm):
    assert realm["realm"] == "qcp" and realm["enabled"]
    assert sorted(r["name"] for r in realm["roles"]["realm"]) == sorted(r.value for r in Role)


def test_user_profile_declares_the_scope_attributes_admin_editable_only(realm):
    (provider,) = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    declared = {a["name"]: a for a in profile["attributes"]}
    for name in ATTRIBUTES:
        assert declared[name]["permissions"]["edit"] == ["admin"], f"users must not edit their own {name}"
    assert re.fullmatch(declared["province"]["validations"]["pattern"]["pattern"], "330000")


def test_dashboard_maps_every_attribute_roles_and_audience_into_access_tokens(realm):
    dashboard = _client(realm, "qcp-dashboard")
    attrs = {
        m["config"]["user.attribute"]: m["config"]
        for m in _mappers(dashboard, "oidc-usermodel-attribute-mapper")
    }
    assert set(attrs) == set(ATTRIBUTES)
    assert all(c["access.token.claim"] == "true" and c["claim.name"] in ATTRIBUTES for c in attrs.values())
    assert attrs["hospital_id"]["jsonType.label"] == "long"
    (aud,) = _mappers(dashboard, "oidc-audience-mapper")
    assert (
        aud["config"]["included.client.audience"] == "qcp-api"
        and aud["config"]["access.token.claim"] == "true"
    )
    (roles,) = _mappers(dashboard, "oidc-usermodel-realm-role-mapper")
    assert roles["config"]["claim.name"] == "realm_access.roles"


def test_dashboard_is_confidential_with_pkce_s256(realm):
    dashboard = _client(realm, "qcp-dashboard")
    assert dashboard["attributes"]["pkce.code.challenge.method"] == "S256"
    assert not dashboard["publicClient"] and dashboard["standardFlowEnabled"]
    assert not dashboard["implicitFlowEnabled"] and not dashboard["directAccessGrantsEnabled"]


def test_api_client_is_bearer_only(realm):
    api = _client(realm, "qcp-api")
    assert api["bearerOnly"] and not api["standardFlowEnabled"] and not api["serviceAccountsEnabled"]


def test_hospital_system_client_uses_client_credentials_with_hardcoded_scope(realm):
    system = _client(realm, "hosp-330000-1")
    assert system["serviceAccountsEnabled"] and not system["standardFlowEnabled"]
    assert not system["directAccessGrantsEnabled"] and not system["publicClient"]
    claims = {
        m["config"]["claim.name"]: m["config"]["claim.value"]
        for m in _mappers(system, "oidc-hardcoded-claim-mapper")
    }
    assert claims == {"province": "330000", "hospital_id": "1"}
    assert _mappers(system, "oidc-audience-mapper")
    account = next(u for u in realm["users"] if u.get("serviceAccountClientId") == "hosp-330000-1")
    assert account["realmRoles"] == ["hospital_system"]


def test_province_groups_exist_for_the_demo_provinces(realm):
    (provinces,) = [g for g in realm["groups"] if g["name"] == "provinces"]
    codes = {g["name"]: g["attributes"]["province"] for g in provinces["subGroups"]}
    assert codes == {c: [c] for c in ("330000", "440000", "510000")}
    assert all(g["subGroups"][0]["name"] == "hospitals" for g in provinces["subGroups"])


def test_no_secrets_in_the_export(realm):
    for client in realm["clients"]:
        if "secret" in client:
            assert re.fullmatch(r"\$\{QCP_[A-Z0-9_]+\}", client["secret"]), client["clientId"]
    assert all("credentials" not in u for u in realm.get("users", []))
