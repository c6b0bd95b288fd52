"""Users and clients of the development issuer (demo and tests only; never used in production).

A ``DevUser`` is a person signing in (password grant or the login form); a ``DevClient`` is an OAuth
client: the dashboard (authorization code + PKCE), or a hospital system (client credentials, its
service account carries ``roles``, ``province`` and ``hospital_id`` like Keycloak's hardcoded-claim
mappers do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.core.actor import Role


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


DEMO_PASSWORD = "qcp-demo"  # loopback development issuer only


def demo_directory(
    *,
    dashboard_redirect_uris: tuple[str, ...] = ("http://127.0.0.1:8000/*", "http://localhost:8000/*"),
    dashboard_secret: str = "qcp-dashboard-dev-secret",
) -> DevDirectory:
    """The documented demo accounts (password ``qcp-demo`` for every user).

    ============================  ====================  ========  ========  =========
    username                      role                  province  hospital  specialty
    ============================  ====================  ========  ========  =========
    nat-admin                     national_admin
    nat-analyst                   national_analyst
    zj-admin / gd-admin / sc-admin  provincial_admin    33/44/51
    zj-analyst                    provincial_analyst    330000
    zj-icu-qc                     specialty_qc          330000              icu
    nat-icu-qc                    specialty_qc                              icu
    zj-h1-submitter               hospital_submitter    330000    1
    zj-h1-viewer                  hospital_viewer       330000    1
    gd-h1-submitter               hospital_submitter    440000    101
    sc-h1-submitter               hospital_submitter    510000    201
    ============================  ====================  ========  ========  =========

    Clients: ``qcp-dashboard`` (confidential, PKCE S256) and ``hosp-330000-1`` (hospital system,
    secret ``hosp-330000-1-dev-secret``). Hospital ids are the demo data set's; callers with other
    data build their own :class:`DevDirectory`.
    """
    p = DEMO_PASSWORD
    users = [
        DevUser("nat-admin", p, "国家管理员 National Admin", (Role.NATIONAL_ADMIN,)),
        DevUser("nat-analyst", p, "国家分析员 National Analyst", (Role.NATIONAL_ANALYST,)),
        DevUser("zj-admin", p, "浙江省质控管理员", (Role.PROVINCIAL_ADMIN,), province="330000"),
        DevUser("gd-admin", p, "广东省质控管理员", (Role.PROVINCIAL_ADMIN,), province="440000"),
        DevUser("sc-admin", p, "四川省质控管理员", (Role.PROVINCIAL_ADMIN,), province="510000"),
        DevUser("zj-analyst", p, "浙江省分析员", (Role.PROVINCIAL_ANALYST,), province="330000"),
        DevUser("zj-icu-qc", p, "浙江省重症质控", (Role.SPECIALTY_QC,), province="330000", specialty="icu"),
        DevUser("nat-icu-qc", p, "国家重症质控", (Role.SPECIALTY_QC,), specialty="icu"),
        DevUser("zj-h1-submitter", p, "浙江医院1上报员", (Role.HOSPITAL_SUBMITTER,), "330000", 1),
        DevUser("zj-h1-viewer", p, "浙江医院1查看员", (Role.HOSPITAL_VIEWER,), "330000", 1),
        DevUser("gd-h1-submitter", p, "广东医院上报员", (Role.HOSPITAL_SUBMITTER,), "440000", 101),
        DevUser("sc-h1-submitter", p, "四川医院上报员", (Role.HOSPITAL_SUBMITTER,), "510000", 201),
    ]
    clients = [
        DevClient("qcp-dashboard", dashboard_secret, redirect_uris=dashboard_redirect_uris),
        DevClient("hosp-330000-1", "hosp-330000-1-dev-secret", (Role.HOSPITAL_SYSTEM,), "330000", 1),
    ]
    return DevDirectory(users=users, clients=clients)
