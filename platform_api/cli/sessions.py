"""`qcp sessions`: housekeeping of the dashboards' sessions (run from a scheduler)."""

from __future__ import annotations

import typer

app = typer.Typer(help="仪表板会话 / dashboard sessions (web_sessions)", no_args_is_help=True)


@app.command()
def purge() -> None:
    """删除过期会话 / delete expired dashboard sessions and logins in flight.

    Workers also delete expired rows as they go; run this every hour or so (cron, systemd timer or
    the job queue) so a quiet platform keeps no expired row either. Idempotent.
    """
    from platform_api.cli.common import owner_session
    from services.identity.web_sessions import purge_expired_sessions

    with owner_session() as session:
        deleted = purge_expired_sessions(session)
    typer.echo(f"已删除 {deleted} 个过期会话 / {deleted} expired sessions deleted")


@app.command("rotate-key")
def rotate_key() -> None:
    """用第一个密钥重新加密刷新令牌 / re-encrypt stored refresh tokens with the first key.

    Rotation: put a new key first in QCP_SESSION_ENCRYPTION_KEYS (keep the old ones after it),
    restart the platform, run this command, then remove the old keys. Tokens no key opens are
    removed (those users sign in again when their access token expires).
    """
    from platform_api.cli.common import owner_session
    from platform_api.settings import api_settings
    from services.core.crypto import TokenCipher
    from services.identity.web_sessions import rotate_refresh_tokens

    keys = api_settings().session_encryption_key_list()
    if not keys:
        raise typer.BadParameter(
            "set QCP_SESSION_ENCRYPTION_KEYS first", param_hint="QCP_SESSION_ENCRYPTION_KEYS"
        )
    with owner_session() as session:
        result = rotate_refresh_tokens(session, cipher=TokenCipher(keys))
    typer.echo(
        f"已重新加密 {result.rotated} 个，移除 {result.dropped} 个无法解密的令牌 / "
        f"{result.rotated} tokens re-encrypted, {result.dropped} that no key opens removed"
    )
