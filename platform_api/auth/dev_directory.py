"""Users and clients of the development issuer (demo and tests only; never used in production).

A ``DevUser`` is a person signing in (password grant or the login form); a ``DevClient`` is an OAuth
client: the dashboard (authorization code + PKCE), or a hospital system (client credentials, its
service account carries ``roles``, ``province`` and ``hospital_id`` like Keycloak's hardcoded-claim
mappers do).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DevUser:
    username: str
    password: str
    name: str
    roles: tuple[str, ...]
    province: str | None = None
    hospital_id: int | None = None
    qc_center_id: int | None = None
    specialty: str | None = None


@dataclass(frozen=True)
class DevClient:
    client_id: str
    secret: str | None = None
    roles: tuple[str, ...] = ()
    province: str | None = None
    hospital_id: int | None = None
    public: bool = False
    redirect_uris: tuple[str, ...] = ()

    @property
    def service_account(self) -> bool:
        """Client credentials are allowed for confidential clients with service-account roles."""
        return not self.public and bool(self.roles)

    def allows_redirect(self, uri: str) -> bool:
        # Keycloak semantics: exact match, or prefix match when the registered URI ends with "*".
        for allowed in self.redirect_uris:
            if allowed.endswith("*") and uri.startswith(allowed[:-1]):
                return True
            if uri == allowed:
                return True
        return False


@dataclass
class DevDirectory:
    users: list[DevUser] = field(default_factory=list)
    clients: list[DevClient] = field(default_factory=list)

    def user(self, username: str) -> DevUser | None:
        return next((u for u in self.users if u.username == username), None)

    def client(self, client_id: str) -> DevClient | None:
        return next((c for c in self.clients if c.client_id == client_id), None)
