"""FHIR R4 ``MeasureReport`` (or a Bundle of them) → one hospital's values for one quarter.

Only the reading is done here; ``service.submit`` applies every submission rule. Problems are
collected as OperationOutcome issues (severity, code, Chinese / English diagnostics, FHIRPath
expression) so one answer lists everything wrong. The mapping is documented in docs/fhir.md.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.core.quarter import Quarter
from services.submission.fhir_common import (
    POPULATION_SYSTEM,
    FhirInvalid,
    FhirReport,
    FhirSubmission,
    fhir_settings,
    issue,
)
from services.submission.fhir_strict import element_issues
from services.submission.io_common import MAX_COUNT

BUNDLE_TYPES = ("collection", "batch", "transaction")
_IGNORED_POPULATIONS = {"initial-population"}
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?$")


@dataclass
class _Context:
    base: str
    uscc_system: str
    known_codes: Container[str] | None
    issues: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, expression: str | None, zh: str, en: str) -> None:
        self.issues.append(issue(code, expression, zh, en))


def parse_date(text: Any, *, end: bool) -> date | None:
    """A FHIR date or dateTime → the calendar date as written (no time-zone shift). Partial dates
    (``2023``, ``2023-04``) mean their first day as a start and their last day as an end."""
    match = _DATE.match(text) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if day:
            return date(year, int(month), int(day))
        if month:
            m = int(month)
            return date(year, m, calendar.monthrange(year, m)[1] if end else 1)
        return date(year, 12, 31) if end else date(year, 1, 1)
    except ValueError:
        return None


def _quarter(report: dict[str, Any], path: str, ctx: _Context) -> Quarter | None:
    period = report.get("period")
    if not isinstance(period, dict):
        ctx.add("required", f"{path}.period", "缺少 period（上报季度）", "period (the quarter) is required")
        return None
    start = parse_date(period.get("start"), end=False)
    stop = parse_date(period.get("end"), end=True)
    for name, value in (("start", start), ("end", stop)):
        if value is None:
            ctx.add(
                "invalid" if name in period else "required",
                f"{path}.period.{name}",
                f"period.{name} 缺失或不是有效日期",
                f"period.{name} is missing or not a valid date",
            )
    if start is None or stop is None:
        return None
    try:
        quarter = Quarter.containing(start)
    except ValueError:
        quarter = None
    if quarter is None or start != quarter.start or stop != quarter.end:
        ctx.add(
            "invalid",
            f"{path}.period",
            f"period {start}–{stop} 不是恰好一个季度（如 2023-04-01 至 2023-06-30）",
            f"period {start}..{stop} is not exactly one quarter (e.g. 2023-04-01 to 2023-06-30)",
        )
        return None
    return quarter


def _measure(report: dict[str, Any], path: str, ctx: _Context) -> str | None:
    url = report.get("measure")
    if not isinstance(url, str) or not url.strip():
        ctx.add(
            "required",
            f"{path}.measure",
            "缺少 measure（指标的 Measure URL）",
            "measure (the indicator's canonical Measure URL) is required",
        )
        return None
    prefix = ctx.base.rstrip("/") + "/Measure/"
    canonical = url.strip().split("|", 1)[0]  # canonical|version: the version is ignored
    code = canonical[len(prefix) :] if canonical.startswith(prefix) else ""
    if not code or "/" in code or (ctx.known_codes is not None and code not in ctx.known_codes):
        ctx.add(
            "not-found",
            f"{path}.measure",
            f"未知的 Measure：{url}（应为 {prefix}{{指标编码}}）",
            f"unknown Measure {url} (expected {prefix}{{indicator code}})",
        )
        return None
    return code


def _organization(report: dict[str, Any], path: str, ctx: _Context) -> str | None:
    """The hospital's 统一社会信用代码 from ``reporter`` (or ``subject``) identifier."""
    found: dict[str, str] = {}
    for name in ("reporter", "subject"):
        ref = report.get(name)
        if ref is None:
            continue
        ident = ref.get("identifier") if isinstance(ref, dict) else None
        where = f"{path}.{name}.identifier"
        if not isinstance(ident, dict) or ident.get("system") != ctx.uscc_system:
            ctx.add(
                "invalid",
                where,
                f"{name}.identifier.system 应为 {ctx.uscc_system}（统一社会信用代码）",
                f"{name}.identifier.system must be {ctx.uscc_system} (unified social credit code)",
            )
        elif not isinstance(ident.get("value"), str) or not ident["value"].strip():
            ctx.add("required", f"{where}.value", "缺少统一社会信用代码", "the credit code value is required")
        else:
            found[name] = ident["value"].strip().upper()
    if not found and not any(name in report for name in ("reporter", "subject")):
        ctx.add(
            "required",
            f"{path}.reporter",
            "缺少 reporter（上报医院）",
            "reporter (the hospital, by its credit code identifier) is required",
        )
    if len(set(found.values())) > 1:
        ctx.add(
            "invalid",
            f"{path}.subject",
            "reporter 与 subject 指向不同的医院",
            "reporter and subject identify different hospitals",
        )
        return None
    return next(iter(found.values()), None)


def _count(pop: dict[str, Any], where: str, ctx: _Context) -> int | None:
    count = pop.get("count")
    if count is None:
        ctx.add("required", f"{where}.count", "缺少 count（人数）", "count is required")
    elif isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        ctx.add(
            "invalid",
            f"{where}.count",
            f"count {count!r} 不是非负整数",
            f"count {count!r} is not a non-negative integer",
        )
    else:
        return count
    return None


def _population_code(pop: dict[str, Any], where: str, ctx: _Context) -> str | None:
    codings = (pop.get("code") or {}).get("coding") if isinstance(pop.get("code"), dict) else None
    codes = [
        c.get("code") for c in codings or [] if isinstance(c, dict) and c.get("system") == POPULATION_SYSTEM
    ]
    if not codes:
        ctx.add(
            "required",
            f"{where}.code",
            f"population 需要 {POPULATION_SYSTEM} 的编码",
            f"population.code needs a coding from {POPULATION_SYSTEM}",
        )
        return None
    if codes[0] not in ("numerator", "denominator") and codes[0] not in _IGNORED_POPULATIONS:
        ctx.add(
            "not-supported",
            f"{where}.code",
            f"不支持的人群 {codes[0]}（只接受 numerator、denominator）",
            f"population {codes[0]} is not supported (only numerator and denominator)",
        )
        return None
    return str(codes[0])  # one of the accepted (string) codes by now


def _populations(report: dict[str, Any], path: str, ctx: _Context) -> tuple[dict[str, int], dict[str, str]]:
    groups = report.get("group")
    if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
        ctx.add(
            "required" if not groups else "invalid",
            f"{path}.group",
            "需要且只能有一个 group",
            "exactly one group is required",
        )
        return {}, {}
    pops = groups[0].get("population")
    counts: dict[str, int] = {}
    paths: dict[str, str] = {}
    for i, pop in enumerate(pops if isinstance(pops, list) else []):
        where = f"{path}.group[0].population[{i}]"
        code = _population_code(pop, where, ctx) if isinstance(pop, dict) else None
        if code is None or code in _IGNORED_POPULATIONS:
            continue
        if code in paths:
            ctx.add("duplicate", f"{where}.code", f"人群 {code} 重复", f"population {code} appears twice")
            continue
        paths[code] = f"{where}.count"
        if (count := _count(pop, where, ctx)) is not None:
            counts[code] = count
    for code, zh in (("numerator", "分子"), ("denominator", "分母")):
        if code not in paths:
            ctx.add(
                "required",
                f"{path}.group[0].population",
                f"缺少 {code} 人群（{zh}）",
                f"the {code} population is missing",
            )
    return counts, paths


def _report(resource: Any, path: str, ctx: _Context) -> FhirReport | None:
    before = len(ctx.issues)
    if not isinstance(resource, dict) or resource.get("resourceType") != "MeasureReport":
        ctx.add("invalid", f"{path}.resourceType", "应为 MeasureReport", "expected a MeasureReport")
        return None
    for name, wanted in (("status", "complete"), ("type", "summary")):
        if resource.get(name) != wanted:
            ctx.add(
                "required" if name not in resource else "invalid",
                f"{path}.{name}",
                f"{name} 应为 {wanted}",
                f"{name} must be {wanted!r}",
            )
    code = _measure(resource, path, ctx)
    quarter = _quarter(resource, path, ctx)
    credit = _organization(resource, path, ctx)
    counts, paths = _populations(resource, path, ctx)
    if len(ctx.issues) > before or code is None or quarter is None or credit is None:
        return None
    return FhirReport(path, code, quarter, credit, counts["numerator"], counts["denominator"], paths)


def _entry_request(entry: dict[str, Any], path: str, bundle_type: str, ctx: _Context) -> None:
    if bundle_type == "collection":
        return
    request = entry.get("request")
    if not isinstance(request, dict):
        ctx.add(
            "required",
            f"{path}.request",
            f"{bundle_type} 的条目需要 request",
            f"{bundle_type} entries need a request",
        )
    elif request.get("method") != "POST" or str(request.get("url", "")).strip("/") != "MeasureReport":
        ctx.add(
            "not-supported",
            f"{path}.request",
            "只支持 POST MeasureReport",
            "only POST MeasureReport is supported",
        )


def _bundle(doc: dict[str, Any], ctx: _Context) -> tuple[str | None, list[FhirReport]]:
    bundle_type = doc.get("type")
    if bundle_type not in BUNDLE_TYPES:
        ctx.add(
            "required" if bundle_type is None else "invalid",
            "Bundle.type",
            f"Bundle.type 应为 {'、'.join(BUNDLE_TYPES)} 之一",
            f"Bundle.type must be one of {', '.join(BUNDLE_TYPES)}",
        )
    entries = doc.get("entry")
    if not isinstance(entries, list) or not entries:
        ctx.add("required", "Bundle.entry", "Bundle 没有条目", "the Bundle has no entries")
        return bundle_type, []
    reports = []
    for i, entry in enumerate(entries):
        path = f"Bundle.entry[{i}]"
        if not isinstance(entry, dict):
            ctx.add("invalid", path, "条目格式错误", "the entry is not an object")
            continue
        _entry_request(entry, path, str(bundle_type), ctx)
        if (report := _report(entry.get("resource"), f"{path}.resource", ctx)) is not None:
            reports.append(report)
    return bundle_type, reports


def name_indicators(issues: list[dict[str, Any]], doc: dict[str, Any], base: str) -> None:
    """Issues inside a Bundle entry name that entry's indicator (from its Measure URL), not only
    the path: "Bundle.entry[3]" means little to the person who has to fix the report."""
    raw = doc.get("entry")
    entries: list[Any] = raw if isinstance(raw, list) else []
    prefix = base.rstrip("/") + "/Measure/"
    for item in issues:
        found = re.match(r"Bundle\.entry\[(\d+)\]", (item.get("expression") or [""])[0])
        entry = entries[int(found[1])] if found and int(found[1]) < len(entries) else None
        resource = entry.get("resource") if isinstance(entry, dict) else None
        url = resource.get("measure") if isinstance(resource, dict) else None
        if not isinstance(url, str) or not url.strip().startswith(prefix):
            continue
        code = url.strip().split("|", 1)[0][len(prefix) :]
        if code and f"指标 {code}" not in item["diagnostics"]:
            item["diagnostics"] = f"指标 {code} / indicator {code}: {item['diagnostics']}"


def _consistent(reports: list[FhirReport], ctx: _Context) -> None:
    """One Bundle = one hospital, one quarter, each indicator once."""
    first = reports[0]
    seen: dict[str, str] = {}
    for r in reports[1:]:
        if r.quarter != first.quarter:
            ctx.add(
                "invalid",
                f"{r.path}.period",
                f"季度 {r.quarter} 与第一个报告的 {first.quarter} 不同",
                f"quarter {r.quarter} differs from the first report's {first.quarter}: "
                "one Bundle, one quarter",
            )
        if r.credit_code != first.credit_code:
            ctx.add(
                "invalid",
                f"{r.path}.reporter",
                "同一 Bundle 中的报告须属于同一医院",
                "all reports in one Bundle must be for the same hospital",
            )
    for r in reports:
        if r.indicator in seen:
            ctx.add(
                "duplicate",
                f"{r.path}.measure",
                f"指标 {r.indicator} 与 {seen[r.indicator]} 重复",
                f"indicator {r.indicator} repeats {seen[r.indicator]}",
            )
        seen.setdefault(r.indicator, r.path)


def parse_fhir(
    doc: Any,
    *,
    expect: str,
    base: str | None = None,
    uscc_system: str | None = None,
    known_codes: Container[str] | None = None,
) -> FhirSubmission:
    """A ``MeasureReport`` (``expect="MeasureReport"``) or ``Bundle`` (``expect="Bundle"``) → values.

    Raises :class:`FhirInvalid` listing every issue. ``known_codes`` (the indicator codes of the
    quarter's catalog) turns an unknown Measure into a ``not-found`` issue on its ``measure``.
    """
    settings = fhir_settings()
    ctx = _Context(base or settings.base, uscc_system or settings.uscc_system, known_codes)
    kind = doc.get("resourceType") if isinstance(doc, dict) else None
    if kind != expect:
        ctx.add("invalid", "resourceType", f"应为 {expect}，收到 {kind}", f"expected {expect}, got {kind}")
        raise FhirInvalid(ctx.issues)
    ctx.issues += element_issues(doc, expect)
    if expect == "Bundle":
        bundle_type, reports = _bundle(doc, ctx)
    else:
        bundle_type, reports = None, [r for r in [_report(doc, "MeasureReport", ctx)] if r]
    if reports:
        _consistent(reports, ctx)
    if ctx.issues or not reports:
        if expect == "Bundle":
            name_indicators(ctx.issues, doc, ctx.base)
        raise FhirInvalid(ctx.issues)
    return FhirSubmission(reports[0].credit_code, reports[0].quarter, reports, bundle_type)
