"""`qcp flags`: freeze laggard flags when submission windows lock (run from a scheduler)."""

from __future__ import annotations

import typer

app = typer.Typer(help="预警快照 / laggard flag snapshots", no_args_is_help=True)


@app.command("freeze-locked")
def freeze_locked(
    lookback: int = typer.Option(4, help="how many past quarters to check"),
) -> None:
    """冻结已锁定窗口的预警 / freeze flags of every province × quarter whose window has locked.

    Idempotent: already frozen quarters are skipped. Run it every few minutes (cron or systemd timer).
    """
    from platform_api.cli.common import owner_session
    from services.benchmark.snapshots import freeze_locked_windows
    from services.core.actor import system_actor

    with owner_session() as session:
        frozen = freeze_locked_windows(session, system_actor("flags-freeze"), lookback=lookback)
        for snap in frozen:
            typer.echo(f"frozen {snap.quarter} {snap.scope} (data version {snap.data_version})")
        typer.echo(f"{len(frozen)} 个快照已冻结 / snapshots frozen")
