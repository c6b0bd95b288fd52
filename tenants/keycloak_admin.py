"""Keycloak objects of a tenant, through python-keycloak's ``KeycloakAdmin``. Every call is idempotent.

* province group ``/provinces/<code>`` (attribute ``province``), hospital subgroup
  ``/provinces/<code>/<hospital_id>`` (attributes ``province``, ``hospital_id``);
* hospital-system client ``hosp-<province>-<hospital_id>``: confidential, client credentials only
  (service account, no browser or password flows), hardcoded-claim mappers for ``province`` and
  ``hospital_id``, an audience mapper for the API, realm role ``hospital_system`` on its service
  account. Its secret is returned only when the client is created;
* offboarding disables clients and the people in the groups, and marks the groups
  (``qcp_disabled``): Keycloak groups have no "enabled" switch. Nothing is deleted.

Admin API conventions (NOTES.md): creates answer 201 + ``Location`` (python-keycloak reads the id
from it), updates and role mappings 204, unknown ids 404, duplicates 409.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakGetError

ROOT_GROUP = "provinces"
HOSPITAL_SYSTEM_ROLE = "hospital_system"


@dataclass(frozen=True)
class KeycloakAdminSettings:
    """Where the admin API is and who logs in (``admin-cli`` password grant, usually realm master)."""

    server_url: str
    realm: str = "qcp"
    username: str = "admin"
    password: str = ""
    user_realm: str = "master"
    verify: bool = True

    @classmethod
    def from_env(cls) -> KeycloakAdminSettings | None:
        """From ``QCP_KEYCLOAK_ADMIN_URL`` / ``_REALM`` / ``_USER`` / ``_PASSWORD`` / ``_USER_REALM``.

        None when no URL is set.
        """
        url = os.environ.get("QCP_KEYCLOAK_ADMIN_URL")
        if not url:
            return None
        env = os.environ.get
        return cls(
            server_url=url,
            realm=env("QCP_KEYCLOAK_ADMIN_REALM", "qcp"),
            username=env("QCP_KEYCLOAK_ADMIN_USER", "admin"),
            password=env("QCP_KEYCLOAK_ADMIN_PASSWORD", ""),
            user_realm=env("QCP_KEYCLOAK_ADMIN_USER_REALM", "master"),
        )


@dataclass(frozen=True)
class Ensured:
    id: str
    created: bool


@dataclass(frozen=True)
class HospitalClient:
    id: str  # Keycloak's internal UUID
    client_id: str  # hosp-330000-12
    created: bool
    secret: str | None  # only when just created: shown once, never stored by QCP


def hospital_client_id(province_code: str, hospital_id: int) -> str:
    return f"hosp-{province_code}-{hospital_id}"


def _claim_mapper(name: str, value: str, json_type: str) -> dict:
    return {
        "name": name,
        "protocol": "openid-connect",
        "protocolMapper": "oidc-hardcoded-claim-mapper",
        "config": {
            "claim.name": name,
            "claim.value": value,
            "jsonType.label": json_type,
            "access.token.claim": "true",
            "id.token.claim": "false",
            "userinfo.token.claim": "false",
            "introspection.token.claim": "true",
        },
    }


def _audience_mapper(audience: str) -> dict:
    return {
        "name": f"audience-{audience}",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {
            "included.client.audience": audience,
            "access.token.claim": "true",
            "id.token.claim": "false",
        },
    }


class TenantDirectory:
    """The tenant-related Keycloak objects of one realm."""

    def __init__(self, admin: KeycloakAdmin, *, api_audience: str = "qcp-api") -> None:
        self.admin = admin
        self.api_audience = api_audience

    @classmethod
    def connect(cls, settings: KeycloakAdminSettings, *, api_audience: str = "qcp-api") -> TenantDirectory:
        url = settings.server_url if settings.server_url.endswith("/") else settings.server_url + "/"
        admin = KeycloakAdmin(
            server_url=url,
            username=settings.username,
            password=settings.password,
            realm_name=settings.realm,
            user_realm_name=settings.user_realm,
            client_id="admin-cli",
            verify=settings.verify,
        )
        return cls(admin, api_audience=api_audience)

    # groups ---------------------------------------------------------------------------------------

    def group(self, path: str) -> dict | None:
        try:
            return self.admin.get_group_by_path(path.lstrip("/"))
        except KeycloakGetError as exc:
            if exc.response_code == 404:
                return None
            raise

    def _ensure_group(self, path: str, attributes: dict[str, list[str]], parent_id: str | None) -> Ensured:
        existing = self.group(path)
        if existing is not None:
            return Ensured(existing["id"], created=False)
        name = path.rstrip("/").rsplit("/", 1)[-1]
        group_id = self.admin.create_group({"name": name, "attributes": attributes}, parent=parent_id)
        assert group_id is not None  # None only with skip_exists=True; without it an existing group raises
        return Ensured(group_id, created=True)

    def ensure_province_group(self, province_code: str) -> Ensured:
        root = self._ensure_group(f"/{ROOT_GROUP}", {}, None)
        return self._ensure_group(f"/{ROOT_GROUP}/{province_code}", {"province": [province_code]}, root.id)

    def ensure_hospital_group(self, province_code: str, hospital_id: int) -> Ensured:
        province = self.ensure_province_group(province_code)
        attributes = {"province": [province_code], "hospital_id": [str(hospital_id)]}
        return self._ensure_group(f"/{ROOT_GROUP}/{province_code}/{hospital_id}", attributes, province.id)

    # hospital-system clients ----------------------------------------------------------------------

    def _client_payload(self, client_id: str, name: str, province_code: str, hospital_id: int) -> dict:
        return {
            "clientId": client_id,
            "name": name,
            "description": f"QCP 医院系统接入 / hospital system of hospital {hospital_id} ({province_code})",
            "enabled": True,
            "protocol": "openid-connect",
            "publicClient": False,
            "clientAuthenticatorType": "client-secret",
            "serviceAccountsEnabled": True,
            "standardFlowEnabled": False,
            "implicitFlowEnabled": False,
            "directAccessGrantsEnabled": False,
            "attributes": {"qcp.province": province_code, "qcp.hospital_id": str(hospital_id)},
        }

    def _ensure_mappers(self, uuid: str, province_code: str, hospital_id: int) -> None:
        wanted = [
            _claim_mapper("province", province_code, "String"),
            _claim_mapper("hospital_id", str(hospital_id), "long"),
            _audience_mapper(self.api_audience),
        ]
        present = {m["name"] for m in self.admin.get_mappers_from_client(uuid)}
        for mapper in wanted:
            if mapper["name"] not in present:
                self.admin.add_mapper_to_client(uuid, mapper)

    def _ensure_service_account_role(self, uuid: str) -> None:
        user = self.admin.get_client_service_account_user(uuid)
        roles = {r["name"] for r in self.admin.get_realm_roles_of_user(user["id"])}
        if HOSPITAL_SYSTEM_ROLE not in roles:
            self.admin.assign_realm_roles(user["id"], [self.admin.get_realm_role(HOSPITAL_SYSTEM_ROLE)])

    def ensure_hospital_client(self, province_code: str, hospital_id: int, name: str) -> HospitalClient:
        client_id = hospital_client_id(province_code, hospital_id)
        existing = self.admin.get_client_id(client_id)
        created = existing is None
        uuid = (
            existing
            if existing is not None
            else self.admin.create_client(self._client_payload(client_id, name, province_code, hospital_id))
        )
        self._ensure_mappers(uuid, province_code, hospital_id)
        self._ensure_service_account_role(uuid)
        secret = self.admin.get_client_secrets(uuid).get("value") if created else None
        return HospitalClient(uuid, client_id, created, secret)

    # offboarding ----------------------------------------------------------------------------------

    def _disable_client(self, client_id: str) -> bool:
        uuid = self.admin.get_client_id(client_id)
        if uuid is None or not self.admin.get_client(uuid).get("enabled", True):
            return False
        self.admin.update_client(uuid, {"enabled": False})
        return True

    def _disable_group(self, group: dict) -> int:
        """Mark the group and disable its enabled members; return how many objects changed."""
        changed = 0
        attributes = dict(group.get("attributes") or {})
        if attributes.get("qcp_disabled") != ["true"]:
            self.admin.update_group(
                group["id"], {"name": group["name"], "attributes": {**attributes, "qcp_disabled": ["true"]}}
            )
            changed += 1
        for member in self.admin.get_group_members(group["id"]):
            if member.get("enabled", True):
                self.admin.update_user(member["id"], {"enabled": False})
                changed += 1
        return changed

    def disable_hospital(self, province_code: str, hospital_id: int) -> int:
        """Disable the hospital's client, mark its group and disable its people. Returns changes made."""
        changed = int(self._disable_client(hospital_client_id(province_code, hospital_id)))
        group = self.group(f"/{ROOT_GROUP}/{province_code}/{hospital_id}")
        return changed + (self._disable_group(group) if group else 0)

    def disable_province(self, province_code: str) -> int:
        """Disable every hospital client of the province and everyone in its groups."""
        prefix = hospital_client_id(province_code, 0)[:-1]
        changed = sum(
            self._disable_client(c["clientId"])
            for c in self.admin.get_clients()
            if c["clientId"].startswith(prefix)
        )
        group = self.group(f"/{ROOT_GROUP}/{province_code}")
        if group is None:
            return changed
        changed += self._disable_group(group)
        for child in self.admin.get_group_children(group["id"]):
            changed += self._disable_group(child)
        return changed
