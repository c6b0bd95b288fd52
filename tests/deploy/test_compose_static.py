"""deploy/compose.yaml, nginx and env.example checked statically (no Docker engine runs here)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from urllib.parse import urlparse

import pytest
from cryptography.fernet import Fernet

from platform_api.settings import ApiSettings
from services.core.config import APP_ROLE
from tests.deploy.support import (
    DEPLOY,
    ENV_EXAMPLE,
    NGINX_CONF,
    REALM_EXPORT,
    SECRET_NAME,
    compose,
    compose_values,
    deploy_text_files,
    env_example,
    environment,
    interpolate,
    references,
    services,
)

EXPECTED_SERVICES = {"postgres", "keycloak", "migrate", "platform", "worker", "proxy", "redis"}
# A version tag that starts with the major version: 16-bookworm, 26.2, 1.27-alpine, 3.11-slim…
PINNED_TAG = re.compile(r"^\d+(\.\d+)*(-[a-z0-9.]+)*$")
# Random per run, as `openssl rand -hex 32` prints: production refuses values shipped in the repository.
FAKE_ENV = {name: secrets.token_hex(32) for name in env_example()} | {
    "QCP_PUBLIC_HOST": "qcp.example.cn",
    "KEYCLOAK_ADMIN_USER": "kcadmin",
    "QCP_WORKERS": "4",
    "QCP_SESSION_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


def one_off_jobs() -> set[str]:
    """Services another service waits on with service_completed_successfully."""
    jobs = set()
    for svc in services().values():
        for name, dep in (svc.get("depends_on") or {}).items():
            if isinstance(dep, dict) and dep.get("condition") == "service_completed_successfully":
                jobs.add(name)
    return jobs


def rendered_env(service: str) -> dict[str, str]:
    return {k: interpolate(v, FAKE_ENV) for k, v in environment(service).items()}


def test_stack_has_the_expected_services():
    assert set(services()) == EXPECTED_SERVICES


def test_every_server_has_a_healthcheck_and_jobs_are_awaited_by_exit_status():
    jobs = one_off_jobs()
    assert jobs == {"migrate"}
    for name, svc in services().items():
        check = svc.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        if name in jobs:
            # A job's health is its exit status; the image's HTTP check would misreport it.
            assert check == {"disable": True}, f"one-off job {name} should disable the image healthcheck"
            assert svc.get("restart") == "no"
            continue
        assert not check.get("disable"), f"{name} disables its healthcheck"
        test = check.get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: healthcheck runs nothing"
        assert check.get("interval") and check.get("retries"), f"{name}: healthcheck without interval/retries"


def test_healthchecks_probe_what_each_service_serves():
    checks = {name: " ".join(svc["healthcheck"].get("test", [])) for name, svc in services().items()}
    assert "pg_isready" in checks["postgres"] and "127.0.0.1" in checks["postgres"]
    assert "/dev/tcp/127.0.0.1/9000" in checks["keycloak"] and "/health/ready" in checks["keycloak"]
    assert "/health" in checks["platform"]
    assert "/healthz" in checks["proxy"]
    assert "procrastinate_workers" in checks["worker"] and "last_heartbeat" in checks["worker"]
    assert "redis-cli" in checks["redis"] and "ping" in checks["redis"]


def test_worker_runs_qcp_worker_as_the_restricted_role_after_the_migration():
    worker = services()["worker"]
    assert worker["entrypoint"] == ["qcp", "worker"]
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    env = rendered_env("worker")
    assert urlparse(env["QCP_DATABASE_URL"]).username == APP_ROLE
    assert "QCP_MIGRATION_DATABASE_URL" not in env


def test_platform_counts_rate_limits_in_the_stacks_redis():
    env = rendered_env("platform")
    url = urlparse(env["QCP_RATE_LIMIT_STORAGE_URL"])
    assert (
        url.scheme == "redis" and url.hostname == "redis" and url.password == FAKE_ENV["QCP_REDIS_PASSWORD"]
    )
    assert services()["platform"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services()["redis"]["networks"] == ["backend"]
    assert "--requirepass" in " ".join(services()["redis"]["command"])


def test_migrate_runs_as_the_owner_role_then_sets_the_app_password():
    migrate = services()["migrate"]
    env = rendered_env("migrate")
    assert "QCP_DATABASE_URL" not in env
    owner = urlparse(env["QCP_MIGRATION_DATABASE_URL"])
    assert owner.username == "qcp_owner" and owner.hostname == "postgres" and owner.path == "/qcp"
    script = " ".join(migrate["entrypoint"])
    assert script.index("qcp db upgrade") < script.index("set_app_password.py")
    assert "&&" in script, "the password step must not run after a failed migration"
    assert env["QCP_APP_DB_PASSWORD"]
    mounts = [v.split(":") for v in migrate["volumes"]]
    assert any(src == "./postgres/set_app_password.py" and dst in script for src, dst, *_ in mounts)
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_platform_connects_as_the_restricted_role_and_never_gets_the_owner_url():
    env = rendered_env("platform")
    app = urlparse(env["QCP_DATABASE_URL"])
    assert app.username == APP_ROLE and app.hostname == "postgres" and app.path == "/qcp"
    assert env["QCP_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert not any("qcp_owner" in value or "POSTGRES_PASSWORD" in key for key, value in env.items())
    assert "QCP_MIGRATION_DATABASE_URL" not in env


def test_platform_waits_for_a_successful_migration_and_a_healthy_keycloak():
    deps = services()["platform"]["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert deps["keycloak"]["condition"] == "service_healthy"
    assert services()["proxy"]["depends_on"]["platform"]["condition"] == "service_healthy"
    assert services()["keycloak"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_platform_environment_passes_the_start_up_refusals(monkeypatch):
    env = rendered_env("platform")
    for key in list(os.environ):
        if key.startswith("QCP_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = ApiSettings()  # raises UnsafeSettings if compose's configuration were unsafe
    assert settings.environment == "production" and not settings.dev_issuer
    assert int(env["QCP_WORKERS"]) > 1, "several uvicorn workers"


def test_token_issuer_is_keycloaks_public_realm_url():
    kc = rendered_env("keycloak")
    platform = rendered_env("platform")
    realm = json.loads(REALM_EXPORT.read_text(encoding="utf-8"))["realm"]
    assert platform["QCP_KEYCLOAK_REALM"] == realm
    assert kc["KC_HOSTNAME"].startswith("https://")
    assert platform["QCP_TOKEN_ISSUER"] == f"{kc['KC_HOSTNAME']}/realms/{realm}"
    # Backchannel on the internal network; the frontend URL stays the public one.
    assert urlparse(platform["QCP_KEYCLOAK_URL"]).hostname == "keycloak"
    assert kc["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] == "true"


def test_keycloak_imports_the_realm_behind_the_proxy():
    kc = services()["keycloak"]
    env = rendered_env("keycloak")
    assert kc["command"][0] == "start" and "--import-realm" in kc["command"]
    assert env["KC_DB"] == "postgres" and env["KC_DB_URL"].startswith("jdbc:postgresql://postgres:")
    assert env["KC_PROXY_HEADERS"] == "xforwarded" and env["KC_HTTP_ENABLED"] == "true"
    assert env["KC_HEALTH_ENABLED"] == "true"
    imports = [v for v in kc["volumes"] if v.startswith("./keycloak/realm-export.json:")]
    assert imports and imports[0].split(":")[1].startswith("/opt/keycloak/data/import/")
    assert imports[0].split(":")[1].endswith(".json")


def test_every_realm_placeholder_is_provided_to_keycloak():
    # Upper-case ${VAR} are environment placeholders; ${username} etc. are Keycloak message keys.
    placeholders = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", REALM_EXPORT.read_text(encoding="utf-8")))
    assert placeholders, "the realm export should take its secrets from the environment"
    assert placeholders <= set(environment("keycloak")), placeholders - set(environment("keycloak"))


def test_secrets_are_required_variables_without_defaults():
    for name, op in references(compose_values()):
        if SECRET_NAME.search(name):
            assert op == ":?", f"${{{name}}} must be written ${{{name}:?…}}: no default, refuse when unset"


def test_no_literal_secret_values_in_compose():
    for service in services():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", value), (
                    f"{service}.{key} is not from the env"
                )
            parsed = urlparse(value) if "://" in value else None
            if parsed and parsed.password:
                assert parsed.password.startswith("${"), f"{service}.{key} embeds a literal password"


def test_env_example_lists_every_variable_with_a_comment_and_no_secret_values():
    text = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    values = env_example()
    used = {name for name, _ in references(compose_values())}
    assert used == set(values), f"missing: {used - set(values)}, unused: {set(values) - used}"
    for name, value in values.items():
        if SECRET_NAME.search(name) or name == "QCP_PUBLIC_HOST":
            assert value == "", f"{name} must be left empty in env.example"
        line = next(i for i, row in enumerate(text) if row.startswith(f"{name}="))
        above = [row for row in text[:line] if row.strip()][-1]
        assert above.startswith("#") or above.split("=")[0] in values, f"{name} has no comment"


def _literal_assignments(text: str) -> list[str]:
    """`name = value` / `name: value` / `"name": "value"` pairs whose name looks like a credential
    and whose value is a literal (not empty, not an env reference, not a psql variable). Comment
    lines are prose ("holds no secrets: …") and are skipped."""
    pattern = re.compile(
        r"""(?ix)["']?([a-z0-9_.-]*(?:password|passwd|secret|private_?key)[a-z0-9_]*)["']?
            ([ \t]*)([:=])([ \t]*)(["']?)([^\s"',}]+)"""
    )
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("#", "--", "//")))
    code = re.sub(r"\$\{[^}]*\}", "${REF}", code)  # ${NAME:?message} is a reference, not a value
    found = []
    for name, before, sep, after, quote, value in pattern.findall(code):
        if "policy" in name.lower():  # passwordPolicy = length(12) describes rules, not a credential
            continue
        if sep == ":" and before and not after and quote == "'":  # psql variable: PASSWORD :'owner_pw'
            continue
        if value.startswith(("${", "$", "<")) or value.lower() in ("true", "false", "null", "none"):
            continue
        found.append(f"{name}={value}")
    return found


def test_no_literal_secrets_in_any_deploy_file():
    for path in deploy_text_files():
        text = path.read_text(encoding="utf-8")
        assert "PRIVATE KEY-----" not in text, f"{path} contains a private key"
        if path.suffix == ".py":  # code: `password: str` is a parameter, not a value
            continue
        assert not _literal_assignments(text), f"{path}: {_literal_assignments(text)}"


def test_realm_export_holds_no_credentials():
    realm = json.loads(REALM_EXPORT.read_text(encoding="utf-8"))
    for client in realm.get("clients", []):
        secret = client.get("secret")
        assert secret is None or re.fullmatch(r"\$\{[A-Z0-9_]+\}", secret), client["clientId"]
    for user in realm.get("users", []):
        assert not user.get("credentials"), f"user {user.get('username')} ships a credential"
    assert "privateKey" not in json.dumps(realm.get("components", {})), "realm keys must be generated"


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_no_secret_files_are_tracked_under_deploy():
    listed = subprocess.run(["git", "ls-files", "deploy"], cwd=DEPLOY.parent, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    for name in listed.stdout.split():
        assert not re.search(r"(^|/)\.env$|\.(pem|key|crt|p12|dump)$|(^|/)certs/", name), name


def test_only_the_proxy_publishes_ports_and_postgres_stays_internal():
    for name, svc in services().items():
        assert ("ports" in svc) == (name == "proxy"), f"{name} publishes ports"
    assert compose()["networks"]["backend"]["internal"] is True
    assert services()["postgres"]["networks"] == ["backend"]
    assert "backend" not in services()["proxy"]["networks"]


def test_proxy_terminates_tls_on_443():
    proxy = services()["proxy"]
    targets = {str(p).split(":")[-1] for p in proxy["ports"]}
    assert "443" in targets
    mounts = {v.split(":")[0]: v.split(":")[1] for v in proxy["volumes"]}
    assert mounts["./nginx/qcp.conf"].startswith("/etc/nginx/templates/")
    certs_dir = mounts["./certs"]
    conf = NGINX_CONF.read_text(encoding="utf-8")
    assert re.search(r"listen 443 ssl;", conf)
    for directive in ("ssl_certificate", "ssl_certificate_key"):
        path = re.search(rf"^\s*{directive}\s+(\S+);", conf, re.M).group(1)
        assert path.startswith(certs_dir + "/"), f"{directive} outside the mounted certificates"
    protocols = re.search(r"^\s*ssl_protocols\s+([^;]+);", conf, re.M).group(1).split()
    assert protocols == ["TLSv1.2", "TLSv1.3"]


def test_proxy_sends_hsts_and_security_headers():
    conf = NGINX_CONF.read_text(encoding="utf-8")
    hsts = re.search(r'add_header Strict-Transport-Security "max-age=(\d+)[^"]*" always;', conf)
    assert hsts and int(hsts.group(1)) >= 31536000
    for header in ("X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy", "X-Frame-Options"):
        assert re.search(rf"add_header {header} \S.* always;", conf), header
    # Port 80 only redirects.
    plain = re.search(r"server \{\s*listen 80 default_server;(.*?)\n\}", conf, re.S).group(1)
    assert "proxy_pass" not in plain and "return 301 https://" in plain


def test_proxy_routes_keycloak_paths_and_the_platform():
    conf = NGINX_CONF.read_text(encoding="utf-8")
    assert re.search(r"upstream qcp_platform \{\s*server platform:8000;", conf)
    assert re.search(r"upstream qcp_keycloak \{\s*server keycloak:8080;", conf)
    for path in ("/realms/", "/resources/"):
        block = re.search(rf"location {re.escape(path)} \{{(.*?)\}}", conf, re.S).group(1)
        assert "proxy_pass http://qcp_keycloak;" in block
    assert re.search(r"location / \{\s*proxy_pass http://qcp_platform;", conf)
    assert "location /admin" not in conf, "Keycloak's admin console is not published"
    # The edge overwrites forwarding headers instead of appending client-sent ones.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf


def test_proxy_body_limit_matches_the_api_request_limit():
    conf = NGINX_CONF.read_text(encoding="utf-8")
    size = re.search(r"client_max_body_size (\d+)([kKmM]?);", conf)
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[size.group(2).lower()]
    assert int(size.group(1)) * factor == ApiSettings.model_fields["max_request_bytes"].default


def test_images_are_pinned_to_a_major_version():
    for name, svc in services().items():
        image = interpolate(svc["image"], {})
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image} has no version tag"
        assert PINNED_TAG.match(tag), f"{name}: {image} is not pinned to a major version"
    majors = {
        name: interpolate(svc["image"], {}).rpartition(":")[2].split(".")[0].split("-")[0]
        for name, svc in services().items()
    }
    assert majors["postgres"] == "16" and majors["keycloak"] == "26"


def test_platform_and_migrate_build_the_same_image_from_the_repository():
    for name in ("platform", "migrate"):
        svc = services()[name]
        assert svc["build"]["context"] == ".." and svc["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services()["platform"]["image"] == services()["migrate"]["image"]


def test_bind_mounted_files_exist():
    for name, svc in services().items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./") and source != "./certs":  # certificates are the operator's
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
