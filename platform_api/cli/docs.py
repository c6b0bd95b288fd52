"""`qcp docs`: regenerate the references generated from the code (docs/reference/)."""

from __future__ import annotations

import typer

app = typer.Typer(help="文档 / generated references (docs/reference/)", no_args_is_help=True)


@app.command("generate")
def generate(
    check: bool = typer.Option(
        False,
        "--check",
        help="只比较，不写入；有过期文件时退出码 1 / compare only; exit 1 when a file is stale",
    ),
) -> None:
    """生成接口与命令行参考 / write docs/reference/http.md, openapi.json (from the app's OpenAPI document)
    and cli.md (from this CLI).

    Prints the files it updated (or, with --check, the stale ones). Needs no database.
    """
    from platform_api.docs_gen import main

    main(check=check)
