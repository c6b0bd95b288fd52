"""Who is acting, and over what scope. Built from verified token claims (or by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    NATIONAL_ADMIN = "national_admin"
    NATIONAL_ANALYST = "national_analyst"
    PROVINCIAL_ADMIN = "provincial_admin"
    PROVINCIAL_ANALYST = "provincial_analyst"
    SPECIALTY_QC = "specialty_qc"
    HOSPITAL_SUBMITTER = "hospital_submitter"
    HOSPITAL_VIEWER = "hospital_viewer"
    HOSPITAL_SYSTEM = "hospital_system"


NATIONAL_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.NATIONAL_ANALYST})
HOSPITAL_ROLES = frozenset({Role.HOSPITAL_SUBMITTER, Role.HOSPITAL_VIEWER, Role.HOSPITAL_SYSTEM})


@dataclass(frozen=True)
class Actor:
    """An authenticated caller.

    ``province`` is None only for national scope (national roles, or national specialty QC staff).
    ``hospital_id`` is set for hospital roles. ``specialty`` limits specialty QC staff to the goals
    their specialty owns.
    """

    subject: str
    roles: frozenset[Role]
    province: str | None = None
    hospital_id: int | None = None
    qc_center_id: int | None = None
    specialty: str | None = None
    client_id: str | None = None
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_national(self) -> bool:
        return self.province is None and self.hospital_id is None

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def primary_role(self) -> Role:
        order = list(Role)
        return sorted(self.roles, key=order.index)[0]

    def label(self) -> str:
        return f"{self.subject} ({', '.join(sorted(self.roles))})"


def system_actor(reason: str = "cli") -> Actor:
    """The platform itself acting with national scope (CLI administration, demo loading)."""
    return Actor(subject=f"system:{reason}", roles=frozenset({Role.NATIONAL_ADMIN}), name="系统 / system")
