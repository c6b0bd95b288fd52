"""`qcp stats` — analyst statistics tools. The CLI only parses input and calls services.benchmark.stats."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from services.benchmark import stats

app = typer.Typer(help="统计工具 / statistics tools")

# Input columns per measure (ratio files may also use numerator,denominator).
COLUMNS_BY_MEASURE = {
    "proportion": ("numerator", "denominator"),
    "rate": ("numerator", "denominator"),
    "ratio": ("observed", "expected"),
}
RATE_COLUMNS = (
    "rate",
    "ci95_low",
    "ci95_high",
    "ci998_low",
    "ci998_high",
    "limit95_low",
    "limit95_high",
    "limit998_low",
    "limit998_high",
)


class DirectionOption(StrEnum):
    # Upper-case names: a member called ``lower`` replaced str.lower, so ``.lower()`` on any member
    # raised "'DirectionOption' object is not callable" (found by mypy).
    HIGHER = "higher"
    LOWER = "lower"


class MeasureOption(StrEnum):
    proportion = "proportion"
    rate = "rate"
    ratio = "ratio"


class LimitsOption(StrEnum):
    exact = "exact"
    normal = "normal"


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"


class InputError(Exception):
    """Bad input file; the message is shown to the analyst as is (Chinese first, then English)."""


@dataclass(frozen=True)
class Units:
    names: list[str]
    numerators: list[int]
    denominators: list[float]


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


def _amount(value: str | None, line: int, column: str, *, positive: bool) -> float:
    """A non-negative (or, for expected counts, positive) finite number such as 1234.5."""
    text = (value or "").strip()
    try:
        number = float(text) if text.isascii() else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        need, need_en = (
            ("大于 0 的数", "a number above 0") if positive else ("非负数", "a non-negative number")
        )
        raise InputError(
            f"第 {line} 行 {column} 必须是{need}（当前值 {text!r}） / "
            f"row {line}: {column} must be {need_en} (got {text!r})"
        )
    return number


def _columns(header: list[str], measure: str) -> tuple[str, str]:
    wanted = COLUMNS_BY_MEASURE[measure]
    if measure == "ratio" and not set(wanted) <= set(header) and {"numerator", "denominator"} <= set(header):
        wanted = ("numerator", "denominator")
    missing = [col for col in ("unit", *wanted) if col not in header]
    if missing:
        need = ",".join(("unit", *wanted))
        raise InputError(
            f"第 1 行缺少列 {', '.join(missing)}，表头须包含 {need} / "
            f"row 1: missing column(s) {', '.join(missing)}; the header must include {need}"
        )
    return wanted


def _values(row: dict, line: int, measure: str, names: tuple[str, str]) -> tuple[int, float]:
    events, base = names
    x = _count(row.get(events), line, events)
    if measure == "proportion":
        n = _count(row.get(base), line, base)
        if x > n:
            raise InputError(
                f"第 {line} 行 {events} ({x}) 大于 {base} ({n})，请核对 / "
                f"row {line}: {events} ({x}) exceeds {base} ({n}); check both values"
            )
        return x, n
    return x, _amount(row.get(base), line, base, positive=measure == "ratio")


def parse_units(text: str, measure: str = "proportion") -> Units:
    """Rows of unit,<events>,<base>; row numbers are file lines (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    names = _columns(header, measure)
    reader.fieldnames = header
    units, seen = Units([], [], []), dict[str, int]()
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
        x, n = _values(row, line, measure, names)
        seen[unit] = line
        units.names.append(unit)
        units.numerators.append(x)
        units.denominators.append(n)
    if not units.names:
        raise InputError("文件没有数据行 / the file has no data rows")
    return units


def output_columns(fdr: bool) -> tuple[str, ...]:
    return (*stats.UNIT_COLUMNS, "q") if fdr else stats.UNIT_COLUMNS


def _rows(result: stats.FunnelResult, multiplier: float, fdr: bool) -> list[dict]:
    rows = result.rows()
    for row, q in zip(rows, result.q_worse, strict=True):
        for column in RATE_COLUMNS:
            row[column] = row[column] * multiplier
        if fdr:
            row["q"] = float(q)
    return rows


def _number(value: Any) -> Any:
    """Whole numbers as int (counts, whole exposures), other floats as they are."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return int(value)
    return value


def _json_value(column: str, value: Any) -> Any:
    if column in ("numerator", "denominator"):
        return _number(float(value))
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN (no cases) and ±inf (target 0 or 1) have no JSON number
    return value


def _csv_value(column: str, value: Any) -> str:
    if column in ("numerator", "denominator"):
        return str(_number(float(value)))
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def render_csv(result: stats.FunnelResult, *, multiplier: float = 1.0, fdr: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = output_columns(fdr)
    writer.writerow(columns)
    for row in _rows(result, multiplier, fdr):
        writer.writerow([_csv_value(c, row[c]) for c in columns])
    return out.getvalue()


def render_json(result: stats.FunnelResult, *, multiplier: float = 1.0, fdr: bool = False) -> str:
    columns = output_columns(fdr)
    doc = {
        "measure": result.measure,
        "limits_method": result.limits_method,
        "multiplier": _number(float(multiplier)),
        "target": _json_value("target", result.target * multiplier),
        "phi": _json_value("phi", result.phi),
        "tau2": _json_value("tau2", result.tau2),
        "overdispersion": result.overdispersion,
        "overdispersion_beyond_chance": result.dispersion_beyond_chance,
        "direction": result.direction,
        "min_denominator": result.min_denominator,
        "units": [{c: _json_value(c, row[c]) for c in columns} for row in _rows(result, multiplier, fdr)],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _check_options(
    measure: str, target: float | None, multiplier: float, min_denominator: float | None
) -> None:
    if not (math.isfinite(multiplier) and multiplier > 0):
        raise InputError(f"--multiplier 必须大于 0 / --multiplier must be above 0 (got {multiplier})")
    if target is not None and measure == "proportion" and not 0.0 <= target <= multiplier:
        raise InputError(
            f"--target 必须在 0 与 {multiplier:g} 之间 / --target must be within 0 and {multiplier:g} (got {target})"
        )
    if target is not None and not (math.isfinite(target) and target >= 0):
        raise InputError(f"--target 必须为非负数 / --target must be non-negative (got {target})")
    if min_denominator is not None and min_denominator < 1:
        raise InputError("--min-denominator 必须至少为 1 / --min-denominator must be at least 1")


def _default_min_denominator(measure: str, unit: str | None) -> float:
    if unit:
        return stats.default_min_denominator(unit)
    return stats.DEFAULT_MIN_DENOMINATOR if measure == "proportion" else 1


@app.command("funnel")
def funnel_command(
    input_path: Path = typer.Option(
        ...,
        "--input",
        help="CSV (UTF-8 / GB18030): unit,numerator,denominator; for --measure ratio unit,observed,expected",
    ),
    measure: MeasureOption = typer.Option(
        MeasureOption.proportion,
        "--measure",
        help="proportion = 比例 x/n；rate = 事件数/暴露量（如导管日）；ratio = 观察数/期望数 O/E",
    ),
    limits: LimitsOption = typer.Option(
        LimitsOption(stats.DEFAULT_LIMITS),
        "--limits",
        help="exact = 精确二项/泊松（平台预警所用）；normal = 复现 PHE 表（比例：正态近似；率/比：PHE 自身区间法）",
    ),
    target: float | None = typer.Option(
        None,
        "--target",
        help="目标值，按 --multiplier 后的尺度；默认：比例与率为合并值，比为 1 / target on the multiplied scale",
    ),
    multiplier: float = typer.Option(
        1.0, "--multiplier", help="显示倍数，如 100（%）、1000（每千导管日）/ display multiplier, e.g. 1000"
    ),
    direction: DirectionOption = typer.Option(
        DirectionOption.HIGHER, "--direction", help="higher = 越高越好 / higher is better"
    ),
    overdispersion: bool = typer.Option(
        False,
        "--overdispersion",
        help="过度离散校正（默认关闭）/ over-dispersion adjustment (off unless given)",
    ),
    fdr: bool = typer.Option(
        False, "--fdr", help="增加 q 列（Benjamini–Hochberg）/ add a q column (worse side)"
    ),
    min_denominator: float | None = typer.Option(
        None,
        "--min-denominator",
        help="最小分母，低于此值不判定；默认比例 10、率与比 1 / minimum denominator to flag "
        "(default 10 for proportions, 1 for rates and ratios)",
    ),
    unit: str | None = typer.Option(
        None, "--unit", help="指标单位，如 每千导管日，取平台默认最小分母 / indicator unit: platform minimum"
    ),
    output_format: OutputFormat = typer.Option(OutputFormat.csv, "--format", help="csv | json"),
) -> None:
    """漏斗图：比例、率、标化比 / funnel plot of proportions, rates or O/E ratios, one output row per unit."""
    try:
        _check_options(measure.value, target, multiplier, min_denominator)
        if not input_path.is_file():
            raise InputError(f"找不到文件 {input_path} / file not found: {input_path}")
        units = parse_units(decode(input_path.read_bytes()), measure.value)
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    result = stats.funnel(
        units.names,
        units.numerators,
        units.denominators,
        measure=measure.value,
        target=None if target is None else target / multiplier,
        direction=direction.value,
        overdispersion=overdispersion,
        min_denominator=_default_min_denominator(measure.value, unit)
        if min_denominator is None
        else min_denominator,
        limits=limits.value,
    )
    render = render_json if output_format is OutputFormat.json else render_csv
    typer.echo(render(result, multiplier=multiplier, fdr=fdr), nl=False)
