"""`qcp catalog` — publish a year's goal catalog, diff two years, export a year as JSON."""

from __future__ import annotations

import getpass
import json
from enum import StrEnum
from pathlib import Path

import typer

from services.catalog.schemas import CatalogDiff
from services.core.errors import CatalogInvalid, DomainError

app = typer.Typer(help="目标目录 / goal catalog", no_args_is_help=True)

GROUP_LABELS = [
    ("added", "新增 / added"),
    ("reinstated", "恢复 / reinstated"),
    ("retired", "退出 / retired"),
    ("continued", "延续 / continued"),
    ("renumbered", "调整序号 / renumbered"),
    ("redefined", "重新定义 / redefined"),
    ("moved_to_specialty", "移入专业目标 / moved to a specialty list"),
    ("moved_to_national", "移入国家目标 / moved to the national list"),
    ("split", "拆分 / split"),
    ("merged", "合并 / merged"),
    ("direction_changed", "方向变化 / direction changed"),
]


class Format(StrEnum):
    text = "text"
    json = "json"


def format_diff(diff: CatalogDiff) -> list[str]:
    lines = [f"{diff.from_year} → {diff.to_year} 目录变化 / catalog changes"]
    for group, label in GROUP_LABELS:
        items = getattr(diff, group)
        if items:
            lines.append(f"  {label}（{len(items)}）: " + "; ".join(items))
    lines.append("  关系明细 / relations:")
    for c in diff.changes:
        if c.from_code:
            comparability = c.comparability or "-"
            lines.append(
                f"    {c.from_code} → {c.to_code or '退出/retired'} [{', '.join(c.kinds)}] {comparability}: {c.reason}"
            )
            for i in c.indicators:
                lines.append(
                    f"      {i.from_code or '新增/new'} → {i.to_code or '退出/retired'} "
                    f"[{', '.join(i.kinds)}] {i.comparability or '-'}"
                )
    return lines


def _fail(exc: DomainError) -> None:
    typer.echo(f"错误 / error: {exc.detail}", err=True)
    for p in getattr(exc, "problems", []) or []:
        typer.echo(f"  - [{p.get('where', '')}] {p.get('field', '')}: {p.get('message', p)}", err=True)
    raise typer.Exit(code=1)


def _print_checks(checks) -> int:  # noqa: ANN001
    """Print every file's verdict and problems; the number of problems."""
    total = 0
    for check in checks:
        problems = check.report.problems
        total += len(problems)
        verdict = "通过 / ok" if not problems else f"{len(problems)} 个问题 / problem(s)"
        typer.echo(f"{check.source}: {verdict}")
        for p in problems:
            typer.echo(f"  - {p}")
    return total


@app.command("check")
def check(
    files: list[Path] = typer.Argument(
        None,
        exists=True,
        dir_okay=False,
        readable=True,
        help="目录文件（同一步骤）/ catalog files (one step)",
    ),
    shipped: bool = typer.Option(
        False, "--shipped", help="按 shipped.yaml 逐步校验全部随附文件 / check every step of shipped.yaml"
    ),
) -> None:
    """只校验、不写数据库 / validate catalog files without a database.

    FILE...: one step, checked in (year, revision) order, each against the files before it.
    --shipped: every step of services/catalog/data/shipped.yaml in order, from the files alone.
    """
    from services.catalog.steps import ManifestInvalid, check_manifest, check_step

    if shipped == bool(files):
        typer.echo("请给出文件或 --shipped（二选一）/ give files or --shipped (one of them)", err=True)
        raise typer.Exit(code=2)
    try:
        steps = check_manifest() if shipped else [check_step(files)]
    except ManifestInvalid as exc:
        typer.echo(f"错误 / error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    total = sum(_print_checks(step) for step in steps)
    if total:
        raise typer.Exit(code=1)


@app.command("publish")
def publish(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="目录文件 / catalog YAML file"
    ),
    by: str = typer.Option("", "--by", help="发布人（默认当前用户）/ published by (default: current user)"),
) -> None:
    """校验并发布一个年度的目录（全部或全不）/ validate and publish one year's catalog (all or nothing)."""
    from platform_api.cli.common import owner_session
    from services.catalog.publish import publish_catalog

    try:
        with owner_session() as session:
            result = publish_catalog(session, path_or_text=file, published_by=by or getpass.getuser())
    except (CatalogInvalid, DomainError) as exc:
        _fail(exc)
        return
    verb = (
        "已发布 / published"
        if result.status == "published"
        else "内容相同，未改动 / identical, nothing changed"
    )
    typer.echo(
        f"{result.year}: {verb}（{result.goals} 个目标 / goals, {result.indicators} 个指标 / indicators, "
        f"sha256 {result.sha256[:12]}）"
    )
    if result.diff is not None:
        typer.echo("\n".join(format_diff(result.diff)))


@app.command("diff")
def diff(
    from_year: int = typer.Argument(..., metavar="FROM"),
    to_year: int = typer.Argument(..., metavar="TO"),
    output: Format = typer.Option(Format.text, "--format", help="text | json"),
) -> None:
    """比较两个已发布年度 / compare two published years."""
    from platform_api.cli.common import owner_session
    from services.catalog.queries import diff_years

    try:
        with owner_session() as session:
            result = diff_years(session, from_year, to_year)
    except DomainError as exc:
        _fail(exc)
        return
    if output is Format.json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(format_diff(result)))


@app.command("export")
def export(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    output: Format = typer.Option(Format.json, "--format", help="json（docs/catalog-format.md）"),
    to: Path | None = typer.Option(None, "--output", "-o", help="写入文件（默认标准输出）/ write to a file"),
) -> None:
    """导出一个年度的目录 / export one year's catalog (format qcp-catalog-export/1)."""
    from platform_api.cli.common import owner_session
    from services.catalog.queries import export_catalog

    if output is not Format.json:
        typer.echo("仅支持 --format json / only --format json is supported", err=True)
        raise typer.Exit(code=2)
    try:
        with owner_session() as session:
            data = export_catalog(session, year)
    except DomainError as exc:
        _fail(exc)
        return
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if to is None:
        typer.echo(text)
    else:
        to.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"已写入 / written: {to}")
