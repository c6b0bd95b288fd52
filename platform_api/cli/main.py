"""The `qcp` command."""

from __future__ import annotations

import importlib

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
    ("platform_api.cli.sessions", "sessions"),
]


def _register() -> None:
    for module_name, name in SUBCOMMANDS:
        root.add_typer(importlib.import_module(module_name).app, name=name)
    from platform_api.cli import serve

    root.command("demo")(serve.demo)
    root.command("serve")(serve.serve)


_register()


def main() -> None:
    root()
