"""`qcp catalog` — check and publish catalog files (a year, a revision, a step, or every shipped
step), diff two years, export a year as JSON. Lineage kinds and comparability print in Chinese
first, English second."""

from __future__ import annotations

import getpass
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from services.catalog import labels
from services.catalog.schemas import CatalogDiff, RevisionDiff
from services.core.errors import CatalogInvalid, DomainError

if TYPE_CHECKING:
    from services.catalog.publish import PublishResult
    from services.catalog.steps import FileCheck

app = typer.Typer(help="目标目录 / goal catalog", no_args_is_help=True)

GROUP_LABELS = [
    ("added", "新增 / added"),
    ("reinstated", "恢复 / reinstated"),
    ("retired", "退出 / retired"),
    ("continued", "延续 / continued"),
    ("renumbered", "调整序号 / renumbered"),
    ("redefined", "重新定义 / redefined"),
    ("moved_to_specialty", "调至专业目标 / moved to a specialty list"),
    ("destination_unknown", "调至专业目标（去向待定）/ moved, destination not yet known"),
    ("moved_to_national", "调入国家目标 / moved to the national list"),
    ("split", "拆分 / split"),
    ("merged", "合并 / merged"),
    ("direction_changed", "方向变化 / direction changed"),
    ("pending", "待定（专业目标尚未载入）/ pending (specialty list not loaded)"),
]


class Format(StrEnum):
    text = "text"
    json = "json"


def _relation(from_code: str | None, to_code: str | None, kinds: list[str], comparability: str | None) -> str:
    """One relation in words, Chinese first: "A → B [调整序号、重新定义 / renumbered, redefined] 部分可比 / …"."""
    if to_code is None and "moved_to_specialty" in kinds:
        target = labels.both(labels.DESTINATION_UNKNOWN)
    else:
        target = to_code or "退出 / retired"
    return f"{from_code or '新增 / new'} → {target} [{labels.kinds(kinds)}] {labels.comparability(comparability)}"


def format_diff(diff: CatalogDiff) -> list[str]:
    lines = [f"{diff.from_year} → {diff.to_year} 目录变化 / catalog changes"]
    for group, label in GROUP_LABELS:
        items = getattr(diff, group)
        if items:
            lines.append(f"  {label}（{len(items)}）: " + "; ".join(items))
    lines.append("  关系明细 / relations:")
    for c in diff.changes:
        if c.from_code:
            lines.append(f"    {_relation(c.from_code, c.to_code, c.kinds, c.comparability)}: {c.reason}")
            for i in c.indicators:
                lines.append(f"      {_relation(i.from_code, i.to_code, i.kinds, i.comparability)}")
    return lines


def format_revision_diff(diff: RevisionDiff) -> list[str]:
    lines = [
        f"{diff.year} 第 {diff.from_revision} 版 → 第 {diff.to_revision} 版 / revision {diff.from_revision} → {diff.to_revision}"
    ]
    groups = [
        ("新增目标 / goals added", diff.goals_added),
        ("修改目标 / goals changed", [f"{c.code} ({', '.join(c.changes)})" for c in diff.goals_changed]),
        ("新增指标 / indicators added", diff.indicators_added),
        (
            "修改指标 / indicators changed",
            [f"{c.code} ({', '.join(c.changes)})" for c in diff.indicators_changed],
        ),
        ("撤销指标 / indicators withdrawn", diff.indicators_withdrawn),
        ("新增谱系 / lineage added", diff.lineage_added),
        ("删除谱系 / lineage removed", diff.lineage_removed),
        ("后续年度待复核的谱系 / later lineage to review", diff.later_edges_to_review),
    ]
    for label, items in groups:
        if items:
            lines.append(f"  {label}（{len(items)}）: " + "; ".join(items))
    if len(lines) == 1:
        lines.append("  （仅文字未变的元数据 / metadata only）")
    return lines


def _fail(exc: DomainError) -> None:
    typer.echo(f"错误 / error: {exc.detail}", err=True)
    for p in getattr(exc, "problems", []) or []:
        file = f"{Path(p['file']).name}: " if p.get("file") and len(p["file"]) < 300 else ""
        typer.echo(f"  - {file}[{p.get('where', '')}] {p.get('field', '')}: {p.get('message', p)}", err=True)
    raise typer.Exit(code=1)


def _print_checks(checks: list[FileCheck]) -> int:
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
    files: list[Path] = typer.Argument(
        None,
        exists=True,
        dir_okay=False,
        readable=True,
        help="目录文件（YAML 或 JSON；多个文件作为一步一起发布）/ catalog files (YAML or JSON; several "
        "files are published together as one step)",
    ),
    shipped: bool = typer.Option(
        False,
        "--shipped",
        help="按 services/catalog/data/shipped.yaml 依次发布全部随附目录（可重复运行）/ publish every "
        "shipped year and revision in order (idempotent)",
    ),
    by: str = typer.Option("", "--by", help="发布人（默认当前用户）/ published by (default: current user)"),
) -> None:
    """校验并发布目录（全部或全不）/ validate and publish catalogs (all or nothing).

    FILE...: one year's file, a revision (revision: N), or several files published together, e.g.
    an earlier year with the revision of the later year that links back to it:
    qcp catalog publish catalog-2021.yaml catalog-2022.r2.yaml.
    --shipped: every step of shipped.yaml in order; a second run changes nothing and says so.
    """
    from platform_api.cli.common import owner_session
    from services.catalog.publish import publish_shipped, publish_step
    from services.catalog.steps import ManifestInvalid

    if shipped == bool(files):
        typer.echo("请给出文件或 --shipped（二选一）/ give files or --shipped (one of them)", err=True)
        raise typer.Exit(code=2)
    publisher = by or getpass.getuser()
    try:
        with owner_session() as session:
            if shipped:
                steps = publish_shipped(session, published_by=publisher)
            else:
                steps = [publish_step(session, sources=files, published_by=publisher)]
    except ManifestInvalid as exc:
        typer.echo(f"错误 / error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    except (CatalogInvalid, DomainError) as exc:
        _fail(exc)
        return
    for step in steps:
        for result in step.results:
            _print_result(result, diff=not shipped or result.status == "published")
    if shipped and all(step.status == "unchanged" for step in steps):
        typer.echo(
            "全部随附目录均已发布，未作任何改动 / every shipped catalog is already published: nothing changed"
        )


def _print_result(result: PublishResult, *, diff: bool) -> None:
    verb = (
        "已发布 / published"
        if result.status == "published"
        else "内容相同，未改动 / identical, nothing changed"
    )
    label = (
        str(result.year)
        if result.revision == 1
        else f"{result.year} 第 {result.revision} 版 / r{result.revision}"
    )
    typer.echo(
        f"{label}: {verb}（{result.goals} 个目标 / goals, {result.indicators} 个指标 / indicators, "
        f"sha256 {result.sha256[:12]}）"
    )
    if result.status != "published" or not diff:
        return
    if result.revision_diff is not None:
        typer.echo("\n".join(format_revision_diff(result.revision_diff)))
    if result.diff is not None:
        typer.echo("\n".join(format_diff(result.diff)))


@app.command("diff")
def diff(
    from_year: int = typer.Argument(..., metavar="FROM", help="较早的年度 / the earlier year"),
    to_year: int = typer.Argument(..., metavar="TO", help="较晚的年度 / the later year"),
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
    output: Format = typer.Option(
        Format.json, "--format", help="只支持 json（docs/catalog-format.md）/ only json is supported"
    ),
    to: Path | None = typer.Option(None, "--output", "-o", help="写入文件（默认标准输出）/ write to a file"),
) -> None:
    """导出一个年度的目录 / export one year's catalog (format qcp-catalog-export/1).

    Prints the JSON (or writes it to --output and prints the path).
    """
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
