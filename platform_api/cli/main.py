"""The `qcp` command."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import typer

root = typer.Typer(
    help="QCP 医疗质量控制平台 / quality-control platform for the national quality and safety improvement goals",
    no_args_is_help=True,
    add_completion=False,
)

# (module, command name): each module defines `app = typer.Typer(...)`.
SUBCOMMANDS = [
    ("platform_api.cli.db", "db"),
    ("platform_api.cli.catalog", "catalog"),
    ("platform_api.cli.stats", "stats"),
    ("platform_api.cli.tenants", "tenants"),
    ("platform_api.cli.flags", "flags"),
    ("platform_api.cli.docs", "docs"),
    ("platform_api.cli.sessions", "sessions"),
]


def _missing_schema(exc: BaseException) -> str | None:
    """The table a command needed when the database was never migrated, else None."""
    from psycopg import errors as pg
    from sqlalchemy.exc import ProgrammingError

    if isinstance(exc, ProgrammingError) and isinstance(exc.orig, pg.UndefinedTable):
        return str(exc.orig).splitlines()[0]
    return None


def needs_schema(callback: Callable[..., Any]) -> Callable[..., Any]:
    """A command run on a database that was never migrated says so in one line, not a traceback."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except Exception as exc:
            missing = _missing_schema(exc)
            if missing is None:
                raise
            typer.echo(
                f"数据库尚未建立结构，请先运行 `qcp db upgrade` / the database has no schema yet ({missing}): "
                "run `qcp db upgrade`",
                err=True,
            )
            raise typer.Exit(code=1) from None

    return run


def _register() -> None:
    for module_name, name in SUBCOMMANDS:
        app = importlib.import_module(module_name).app
        if name != "db":  # `qcp db` creates the schema
            for command in app.registered_commands:
                command.callback = needs_schema(command.callback)
        root.add_typer(app, name=name)
    from platform_api.cli import serve

    root.command("demo")(serve.demo)
    root.command("serve")(serve.serve)
    from platform_api.cli import worker

    root.command("worker")(worker.worker)


_register()


def main() -> None:
    root()
