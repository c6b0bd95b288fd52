"""`qcp db`: schema migrations."""

from __future__ import annotations

import typer

from services.core import runtime

app = typer.Typer(help="数据库 / database schema (Alembic)", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """升级数据库结构 / upgrade the schema (runs as the owner role).

    迁移只改结构，不发布目标目录；随后运行 `qcp catalog publish --shipped` 依次发布随平台附带的各年度目录及其
    修订版（可重复运行，已发布的不变）/ Migrations change the schema only: then run `qcp catalog publish
    --shipped` to publish every shipped catalog year and revision in order (idempotent).
    """
    runtime.upgrade(runtime.owner_url(), revision)
    typer.echo(f"schema at {revision}")
    typer.echo(
        "下一步 / next: qcp catalog publish --shipped（发布随附目标目录 / publish the shipped catalogs）"
    )


@app.command()
def downgrade(revision: str = typer.Argument(..., help="target revision, e.g. base")) -> None:
    """回退数据库结构 / downgrade the schema."""
    runtime.downgrade(runtime.owner_url(), revision)
    typer.echo(f"schema at {revision}")


@app.command()
def urls() -> None:
    """显示连接地址 / print the owner and app connection URLs in use."""
    typer.echo(f"owner: {runtime.owner_url()}")
    typer.echo(f"app:   {runtime.app_url()}")
