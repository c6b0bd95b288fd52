"""Strict FHIR input: unknown elements and modifier extensions are refused (docs/fhir.md).

QCP refuses (rather than warns about) an element that FHIR R4 does not define on the resources it
reads — a misspelt ``measureScore`` or ``populaton`` would otherwise be dropped silently. FHIR's own
rule for ``modifierExtension`` (and ``implicitRules``) is that a receiver that does not understand
it must refuse the resource, since it may change the meaning of everything else: QCP understands
none. Elements are checked on MeasureReport, its group and population, Bundle and its entries; the
data types inside them (Period, Reference, CodeableConcept…) are read by the parser where used.
"""

from __future__ import annotations

from typing import Any

_COMMON = {"id", "extension", "modifierExtension"}
_RESOURCE = {"resourceType", "id", "meta", "implicitRules", "language"}
_DOMAIN = _RESOURCE | {"text", "contained", "extension", "modifierExtension"}
ALLOWED: dict[str, set[str]] = {
    "MeasureReport": _DOMAIN
    | {
        "identifier",
        "status",
        "type",
        "measure",
        "subject",
        "date",
        "reporter",
        "period",
        "improvementNotation",
        "group",
        "evaluatedResource",
    },
    "group": _COMMON | {"code", "population", "measureScore", "stratifier"},
    "population": _COMMON | {"code", "count", "subjectResults"},
    "Bundle": _RESOURCE | {"identifier", "type", "timestamp", "total", "link", "entry", "signature"},
    "entry": _COMMON | {"link", "fullUrl", "resource", "search", "request", "response"},
}
MODIFIERS = ("modifierExtension", "implicitRules")


def _issue(code: str, expression: str, zh: str, en: str) -> dict[str, Any]:
    return {"severity": "error", "code": code, "diagnostics": f"{zh} / {en}", "expression": [expression]}


def _unknown(node: dict[str, Any], kind: str, path: str) -> list[dict[str, Any]]:
    allowed = ALLOWED[kind]
    out = []
    for key in node:
        name = key[1:] if key.startswith("_") else key  # "_status": the primitive's id/extensions
        if name not in allowed:
            out.append(
                _issue(
                    "structure",
                    f"{path}.{key}",
                    f"未知元素 {key}（FHIR R4 的 {kind} 没有该元素，请检查拼写或删除）",
                    f"unknown element {key}: FHIR R4 {kind} has no such element (check the spelling or remove it)",
                )
            )
    return out


def _modifiers(node: Any, path: str) -> list[dict[str, Any]]:
    """Every non-empty modifierExtension / implicitRules anywhere below ``node``."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in MODIFIERS and value not in (None, [], ""):
                out.append(
                    _issue(
                        "not-supported",
                        f"{path}.{key}",
                        f"不能处理 {key}：它可能改变资源的含义，按 FHIR 规则拒绝；请删除后重发",
                        f"{key} is not understood and may change the meaning of the resource, so FHIR "
                        "requires refusing it: remove it and send again",
                    )
                )
            else:
                out += _modifiers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out += _modifiers(item, f"{path}[{i}]")
    return out


def _report_elements(report: dict[str, Any], path: str) -> list[dict[str, Any]]:
    out = _unknown(report, "MeasureReport", path)
    groups = report.get("group")
    for g, group in enumerate(groups if isinstance(groups, list) else []):
        if not isinstance(group, dict):
            continue
        out += _unknown(group, "group", f"{path}.group[{g}]")
        pops = group.get("population")
        for p, pop in enumerate(pops if isinstance(pops, list) else []):
            if isinstance(pop, dict):
                out += _unknown(pop, "population", f"{path}.group[{g}].population[{p}]")
    return out


def element_issues(doc: dict[str, Any], expect: str) -> list[dict[str, Any]]:
    """Issues for unknown elements and modifier elements of a MeasureReport or Bundle."""
    if expect == "MeasureReport":
        return _modifiers(doc, "MeasureReport") + _report_elements(doc, "MeasureReport")
    out = _modifiers(doc, "Bundle") + _unknown(doc, "Bundle", "Bundle")
    entries = doc.get("entry")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        out += _unknown(entry, "entry", f"Bundle.entry[{i}]")
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "MeasureReport":
            out += _report_elements(resource, f"Bundle.entry[{i}].resource")
    return out
