"""Set the password of the restricted app role (qcp_app) from the environment.

Run by the compose `migrate` job right after `qcp db upgrade`, as the owner role
(QCP_MIGRATION_DATABASE_URL). The first migration creates qcp_app with LOGIN but no password, so
the platform cannot connect until this has run; running it again rotates the password.

The SCRAM-SHA-256 verifier is computed here (libpq's PQencryptPasswordConn), so the clear-text
password never reaches the server and cannot show up in its statement log.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import quote

import psycopg
from psycopg import sql

APP_ROLE = "qcp_app"
MIN_LENGTH = 16


class PasswordRefused(ValueError):
    """The password would break the platform's connection URL or is too short."""


def check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(
            f"应用角色密码至少 {MIN_LENGTH} 个字符 / QCP_APP_DB_PASSWORD needs {MIN_LENGTH}+ characters"
        )
    # The password is embedded verbatim in QCP_DATABASE_URL by compose: refuse what a URL would mangle.
    if quote(password, safe="-._~") != password:
        raise PasswordRefused(
            "应用角色密码只能包含字母、数字和 -._~ / QCP_APP_DB_PASSWORD may only contain letters, digits "
            "and -._~ (it is placed in a URL); generate one with: openssl rand -hex 32"
        )


def libpq_url(url: str) -> str:
    """SQLAlchemy URL (postgresql+psycopg://…) → libpq URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def set_app_password(owner_url: str, password: str, role: str = APP_ROLE) -> None:
    check_password(password)
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as conn:
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(verifier.decode("ascii"))
            )
        )


def main() -> int:
    owner_url = os.environ.get("QCP_MIGRATION_DATABASE_URL")
    password = os.environ.get("QCP_APP_DB_PASSWORD")
    if not owner_url or not password:
        print(
            "需要 QCP_MIGRATION_DATABASE_URL 与 QCP_APP_DB_PASSWORD / "
            "QCP_MIGRATION_DATABASE_URL and QCP_APP_DB_PASSWORD must be set",
            file=sys.stderr,
        )
        return 2
    try:
        set_app_password(owner_url, password)
    except PasswordRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"password of role {APP_ROLE} set (SCRAM-SHA-256)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
