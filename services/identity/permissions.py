"""The roles matrix: who may do what, over which scope (data in ``permissions.yaml``).

``can(actor, action)`` answers with the widest scope any of the actor's roles grants, or None.
``require`` raises :class:`PermissionDenied`. Scopes say *how far* an action reaches; the
repositories apply them (and row-level security backs them up).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from services.core.actor import Actor, Role
from services.core.errors import PermissionDenied

MATRIX_PATH = Path(__file__).with_name("permissions.yaml")


class Scope(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    SPECIALTY = "specialty"
    HOSPITAL = "hospital"


WIDTH = [Scope.NATIONAL, Scope.PROVINCE, Scope.SPECIALTY, Scope.HOSPITAL]  # widest first


@dataclass(frozen=True)
class Matrix:
    scopes: dict[str, dict[str, str]]
    actions: dict[str, dict[str, str]]
    roles: dict[str, dict[str, Any]]

    def grant(self, role: Role, action: str) -> Scope | None:
        value = self.roles[role.value]["grants"][action]
        return None if value == "none" else Scope(value)


def _validate(raw: dict[str, Any]) -> Matrix:
    scopes, actions, roles = raw["scopes"], raw["actions"], raw["roles"]
    if set(scopes) != {s.value for s in Scope} | {"none"}:
        raise ValueError(f"permissions.yaml: scopes must be {[s.value for s in Scope]} + none")
    if set(roles) != {r.value for r in Role}:
        raise ValueError(
            f"permissions.yaml: roles {sorted(roles)} differ from Role {sorted(r.value for r in Role)}"
        )
    for role, spec in roles.items():
        grants = spec["grants"]
        if set(grants) != set(actions):
            raise ValueError(f"permissions.yaml: {role} must list every action exactly once")
        unknown = {v for v in grants.values() if v not in scopes}
        if unknown:
            raise ValueError(f"permissions.yaml: {role} uses unknown scopes {sorted(unknown)}")
    return Matrix(scopes, actions, roles)


@lru_cache
def matrix(path: Path = MATRIX_PATH) -> Matrix:
    return _validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _fits(actor: Actor, scope: Scope) -> bool:
    """A scope only counts when the actor carries what it is relative to (fail closed)."""
    if scope is Scope.PROVINCE:
        return actor.province is not None
    if scope is Scope.SPECIALTY:
        return actor.specialty is not None
    if scope is Scope.HOSPITAL:
        return actor.hospital_id is not None and actor.province is not None
    return True


def can(actor: Actor, action: str) -> Scope | None:
    """The widest scope over which ``actor`` may perform ``action``; None when it may not."""
    m = matrix()
    if action not in m.actions:
        raise ValueError(f"unknown action {action!r}; see services/identity/permissions.yaml")
    granted = [s for role in actor.roles if (s := m.grant(role, action)) is not None and _fits(actor, s)]
    return min(granted, key=WIDTH.index) if granted else None


def require(actor: Actor, action: str) -> Scope:
    scope = can(actor, action)
    if scope is None:
        label = matrix().actions[action]
        roles = ", ".join(sorted(actor.roles)) or "-"
        raise PermissionDenied(
            f"无权{label['zh']}（角色：{roles}）/ your roles ({roles}) may not {label['en']} ({action})",
            action=action,
        )
    return scope


def render_markdown(m: Matrix | None = None) -> str:
    """docs/roles.md, generated from the matrix so the two cannot drift."""
    m = m or matrix()
    role_names = list(m.roles)
    lines = [
        "# 角色与权限 / Roles and permissions",
        "",
        "由 `services/identity/permissions.yaml` 生成，请勿手工编辑 / Generated from "
        "`services/identity/permissions.yaml` (`python -m services.identity.permissions > docs/roles.md`); "
        "do not edit by hand.",
        "",
        "## 范围 / Scopes",
        "",
        "| 范围 / Scope | 含义 / Meaning |",
        "|---|---|",
        *[f"| `{k}` | {v['zh']} / {v['en']} |" for k, v in m.scopes.items()],
        "",
        "## 角色 / Roles",
        "",
        "| 角色 / Role | 说明 / Description |",
        "|---|---|",
        *[f"| `{k}` | {v['zh']} / {v['en']} |" for k, v in m.roles.items()],
        "",
        "## 权限矩阵 / Matrix",
        "",
        "| 操作 / Action | " + " | ".join(f"`{r}`" for r in role_names) + " |",
        "|---|" + "---|" * len(role_names),
    ]
    for action, label in m.actions.items():
        cells = [m.roles[r]["grants"][action] for r in role_names]
        cells = ["—" if c == "none" else c for c in cells]
        lines.append(f"| `{action}` {label['zh']} / {label['en']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
