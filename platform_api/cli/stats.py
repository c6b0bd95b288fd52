"""`qcp stats` — analyst statistics tools. The CLI only parses input and calls services.benchmark.stats."""

from __future__ import annotations

import csv
import io
import json
import math
from enum import StrEnum
from pathlib import Path

import typer

from services.benchmark import stats

app = typer.Typer(help="统计工具 / statistics tools")

REQUIRED_COLUMNS = ("unit", "numerator", "denominator")


class DirectionOption(StrEnum):
    higher = "higher"
    lower = "lower"


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"


class InputError(Exception):
    """Bad input file; the message is shown to the analyst as is (Chinese first, then English)."""


@app.callback()
def main() -> None:
    """统计工具 / statistics tools."""


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (what Excel on Chinese Windows writes)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        "文件编码无法识别，请另存为 UTF-8 或 GB18030 / cannot decode file: save it as UTF-8 or GB18030"
    )


def _count(value: str | None, line: int, column: str) -> int:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        raise InputError(
            f"第 {line} 行 {column} 不是非负整数（当前值 {text!r}），请填写 0 或正整数 / "
            f"row {line}: {column} must be a non-negative integer (got {text!r}); enter 0 or a whole number"
        )
    return int(text)


def parse_units(text: str) -> tuple[list[str], list[int], list[int]]:
    """Rows of unit,numerator,denominator; row numbers are file lines (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [col for col in REQUIRED_COLUMNS if col not in header]
    if missing:
        raise InputError(
            f"第 1 行缺少列 {', '.join(missing)}，表头须包含 unit,numerator,denominator / "
            f"row 1: missing column(s) {', '.join(missing)}; the header must include unit,numerator,denominator"
        )
    reader.fieldnames = header
    units, numerators, denominators, seen = [], [], [], {}
    for line, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # blank line
        unit = (row.get("unit") or "").strip()
        if not unit:
            raise InputError(
                f"第 {line} 行 unit 为空，请填写单位名称 / row {line}: unit is empty; enter the unit name"
            )
        if unit in seen:
            raise InputError(
                f"第 {line} 行 unit {unit!r} 与第 {seen[unit]} 行重复，请合并或改名 / "
                f"row {line}: unit {unit!r} repeats row {seen[unit]}; merge or rename it"
            )
        x, n = (
            _count(row.get("numerator"), line, "numerator"),
            _count(row.get("denominator"), line, "denominator"),
        )
        if x > n:
            raise InputError(
                f"第 {line} 行 numerator ({x}) 大于 denominator ({n})，请核对 / "
                f"row {line}: numerator ({x}) exceeds denominator ({n}); check both values"
            )
        seen[unit] = line
        units.append(unit), numerators.append(x), denominators.append(n)
    if not units:
        raise InputError("文件没有数据行 / the file has no data rows")
    return units, numerators, denominators


COUNT_COLUMNS = ("numerator", "denominator")


def _json_value(column: str, value):
    if column in COUNT_COLUMNS:
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN (no cases) and ±inf (target 0 or 1) have no JSON number
    return value


def _csv_value(column: str, value) -> str:
    if column in COUNT_COLUMNS:
        return str(int(value))
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def render_csv(result: stats.FunnelResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(stats.UNIT_COLUMNS)
    for row in result.rows():
        writer.writerow([_csv_value(c, row[c]) for c in stats.UNIT_COLUMNS])
    return out.getvalue()


def render_json(result: stats.FunnelResult) -> str:
    doc = {
        "target": _json_value("target", result.target),
        "phi": _json_value("phi", result.phi),
        "tau2": _json_value("tau2", result.tau2),
        "overdispersion": result.overdispersion,
        "direction": result.direction,
        "min_denominator": result.min_denominator,
        "units": [{c: _json_value(c, row[c]) for c in stats.UNIT_COLUMNS} for row in result.rows()],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


@app.command("funnel")
def funnel_command(
    input_path: Path = typer.Option(..., "--input", help="CSV: unit,numerator,denominator (UTF-8 / GB18030)"),
    target: float | None = typer.Option(
        None, "--target", help="目标比例 0–1，默认合并率 / target proportion"
    ),
    direction: DirectionOption = typer.Option(
        DirectionOption.higher, "--direction", help="higher = 越高越好 / higher is better"
    ),
    overdispersion: bool = typer.Option(False, "--overdispersion", help="过度离散校正 / over-dispersion"),
    min_denominator: int = typer.Option(
        stats.DEFAULT_MIN_DENOMINATOR,
        "--min-denominator",
        help="最小分母，低于此值不判定 / minimum denominator to flag",
    ),
    output_format: OutputFormat = typer.Option(OutputFormat.csv, "--format", help="csv | json"),
) -> None:
    """比例漏斗图 / funnel plot of proportions, one output row per unit."""
    try:
        if target is not None and not 0.0 <= target <= 1.0:
            raise InputError(f"--target 必须在 0 与 1 之间 / --target must be within 0 and 1 (got {target})")
        if min_denominator < 1:
            raise InputError("--min-denominator 必须至少为 1 / --min-denominator must be at least 1")
        if not input_path.is_file():
            raise InputError(f"找不到文件 {input_path} / file not found: {input_path}")
        units, numerators, denominators = parse_units(decode(input_path.read_bytes()))
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    result = stats.funnel(
        units,
        numerators,
        denominators,
        target=target,
        direction=direction.value,
        overdispersion=overdispersion,
        min_denominator=min_denominator,
    )
    typer.echo(render_json(result) if output_format is OutputFormat.json else render_csv(result), nl=False)
