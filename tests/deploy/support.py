"""Helpers for the static deployment checks: load deploy files, interpolate like docker compose."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from services.core.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
NGINX_CONF = DEPLOY / "nginx" / "qcp.conf"
ENV_EXAMPLE = DEPLOY / "env.example"
REALM_EXPORT = DEPLOY / "keycloak" / "realm-export.json"

# Names that carry credentials. Values of such variables must come from the environment.
SECRET_NAME = re.compile(
    r"(?i)(password|passwd|secret|private_?key|api_?key|token(?!_issuer|_leeway|_trusted))"
)

# docker compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}; $$ escapes.
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def services() -> dict[str, dict]:
    return compose()["services"]


def compose_values() -> str:
    """Every string value of the compose file (compose interpolates values, never comments)."""

    def walk(node) -> list[str]:  # noqa: ANN001
        if isinstance(node, dict):
            return [s for k, v in node.items() for s in (*walk(k), *walk(v))]
        if isinstance(node, list):
            return [s for item in node for s in walk(item)]
        return [node] if isinstance(node, str) else []

    return "\n".join(walk(compose()))


def environment(service: str) -> dict[str, str]:
    env = services()[service].get("environment", {})
    if isinstance(env, list):  # KEY=VALUE list form
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def references(text: str) -> list[tuple[str, str | None]]:
    """Every variable referenced as ``(name, operator)``; operator is ':?', '?', ':-', '-' or None."""
    found = []
    for match in _VAR.finditer(text):
        if match.group(0) == "$$":
            continue
        name = match.group(1) or match.group(4)
        found.append((name, match.group(2)))
    return found


def interpolate(value: str, env: dict[str, str]) -> str:
    """Substitute like docker compose does; a missing required variable raises KeyError."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1) or match.group(4), match.group(2), match.group(3)
        current = env.get(name)
        if op in (":?", "?"):
            if current is None or (op == ":?" and current == ""):
                raise KeyError(f"{name}: {arg}")
            return current
        if op in (":-", "-"):
            if current is None or (op == ":-" and current == ""):
                return arg
            return current
        return current or ""

    return _VAR.sub(one, value)


def env_example() -> dict[str, str]:
    """Variables of deploy/env.example in order, as written."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            name, _, value = stripped.partition("=")
            values[name.strip()] = value.strip()
    return values


def deploy_text_files() -> list[Path]:
    """Every text file under deploy/ (operator-local secrets directories excluded)."""
    skip = {"certs", "backups"}
    files = []
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and not skip.intersection(path.relative_to(DEPLOY).parts) and path.name != ".env":
            try:
                path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            files.append(path)
    return files
