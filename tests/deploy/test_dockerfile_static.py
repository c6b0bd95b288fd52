"""deploy/Dockerfile checked statically: stages, base images, user, health check, entry point."""

from __future__ import annotations

import inspect
import json
import re
import tomllib

from platform_api.cli import serve
from services.core.config import PROJECT_ROOT
from tests.deploy.support import DEPLOY, DOCKERFILE, SECRET_NAME

PINNED_PYTHON = re.compile(r"^python:3\.11-slim(-[a-z]+)?$")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    result, pending = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        pending += (" " if pending else "") + line.rstrip("\\").strip()
        if not line.endswith("\\"):
            keyword, _, args = pending.partition(" ")
            result.append((keyword.upper(), args.strip()))
            pending = ""
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, args in instructions():
        if keyword == "FROM":
            found.append([])
        found[-1].append((keyword, args))
    return found


def final_stage() -> list[tuple[str, str]]:
    return stages()[-1]


def exec_form(args: str) -> list[str]:
    return json.loads(args) if args.startswith("[") else args.split()


def test_is_multi_stage_on_pinned_python_311_slim():
    all_stages = stages()
    assert len(all_stages) >= 2
    for stage in all_stages:
        image = stage[0][1].split()[0]
        assert PINNED_PYTHON.match(image), f"base image {image} is not python:3.11-slim"
    assert any("--from=build" in args for kw, args in final_stage() if kw == "COPY")


def test_runs_as_a_non_root_user():
    users = [args for kw, args in final_stage() if kw == "USER"]
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"runs as {users[-1]}"
    # Nothing after USER needs root (RUN would execute as the unprivileged user anyway).
    after = final_stage()[[kw for kw, _ in final_stage()].index("USER") :]
    assert not any(kw == "USER" and a.split(":")[0] in ("root", "0") for kw, a in after)


def test_healthcheck_calls_the_health_endpoint():
    checks = [args for kw, args in final_stage() if kw == "HEALTHCHECK"]
    assert len(checks) == 1 and "/health" in checks[0] and "CMD" in checks[0]
    assert not checks[0].startswith("NONE")
    assert re.search(r"--interval=\d+s", checks[0]) and re.search(r"--timeout=\d+s", checks[0])


def test_entrypoint_serves_through_qcp_with_qcp_workers():
    entry = [exec_form(a) for kw, a in final_stage() if kw == "ENTRYPOINT"][-1]
    cmd = [exec_form(a) for kw, a in final_stage() if kw == "CMD"][-1]
    assert entry + cmd == ["qcp", "serve"]
    env = " ".join(a for kw, a in final_stage() if kw == "ENV")
    assert re.search(r"\bQCP_WORKERS=\d+", env)
    assert "QCP_API_HOST=0.0.0.0" in env, "a container must listen beyond its loopback"
    # `qcp serve` reads the worker count from QCP_WORKERS.
    workers = inspect.signature(serve.serve).parameters["workers"].default
    assert "QCP_WORKERS" in (workers.envvar if isinstance(workers.envvar, list) else [workers.envvar])


def test_no_remote_add_and_no_secrets_baked_in():
    for keyword, args in instructions():
        if keyword == "ADD":
            assert not re.search(r"(https?|ftp|git)://|git@", args), f"ADD of a remote source: {args}"
        if keyword in ("ENV", "ARG"):
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", args) or [args.split()[0]]
            for name in names:
                assert not SECRET_NAME.search(name), f"{keyword} {name} would bake a secret into the image"
        if keyword in ("COPY", "ADD"):
            assert not re.search(r"\.env\b|certs|\.pem|\.key\b", args), f"{keyword} {args} copies secrets"
    assert "QCP_ENVIRONMENT=production" in " ".join(a for kw, a in final_stage() if kw == "ENV")


def test_copies_every_package_the_project_installs():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    build = stages()[0]
    copied = " ".join(args for kw, args in build if kw == "COPY")
    for package in packages:
        assert re.search(rf"\b{package}\b", copied), f"the image would be missing package {package}"
    assert pyproject["project"]["readme"] in copied, "the wheel build needs the README pyproject names"


def test_installs_only_from_the_lock_file_with_hashes():
    build = stages()[0]
    copied = " ".join(args for kw, args in build if kw == "COPY")
    runs = [args for kw, args in build if kw == "RUN"]
    assert re.search(r"\buv\.lock\b", copied), "the build stage does not copy uv.lock"
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs and all("--locked" in r and "--no-dev" in r for r in syncs), syncs
    assert not any(re.search(r"pip install (-e )?\.", r) for r in runs), "an install that bypasses uv.lock"
    # uv itself comes from PyPI checked against the hashes recorded in uv.lock.
    assert any("uv-requirement" in r and "--require-hashes" in r for r in runs)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context():
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    for pattern in ("**/.env", "deploy/certs", ".git", ".venv", ".qcp"):
        assert pattern in ignore
