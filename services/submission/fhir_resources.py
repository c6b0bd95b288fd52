"""FHIR resources the platform answers with: OperationOutcome, batch/transaction responses, Measure."""

from __future__ import annotations

import re
from typing import Any

from services.core.errors import DomainError, ValidationFailed
from services.submission.fhir_common import POPULATION_SYSTEM, FhirInvalid, FhirSubmission, measure_url
from services.submission.schemas import SubmissionResult

SCORING_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-scoring"
IMPROVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
PROBLEM_SYSTEM = "https://qcp.example.org/fhir/CodeSystem/submission-problem"  # the service's problem codes
_STATUS_ISSUE = {
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "business-rule",
}
_PROBLEM_ISSUE = {
    "unknown_indicator": "not-found",
    "duplicate_indicator": "duplicate",
    "negative_count": "invalid",
    "count_too_large": "invalid",
    "bad_quarter": "invalid",
}
_FIELD_PATH = {"indicator": "measure", "quarter": "period", "hospital_id": "reporter"}


def operation_outcome(issues: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues}


def _problem_issue(problem: dict[str, Any], submission: FhirSubmission | None) -> dict[str, Any]:
    report = None
    if submission is not None:
        index = problem.get("index")
        by_code = {r.indicator: r for r in submission.reports}
        if isinstance(index, int) and 0 <= index < len(submission.reports):
            report = submission.reports[index]
        else:
            report = by_code.get(str(problem.get("indicator")))
    expression = None
    if report is not None:
        field = str(problem.get("field", ""))
        expression = report.expressions.get(field) or f"{report.path}.{_FIELD_PATH.get(field, 'measure')}"
    text = str(problem.get("problem", ""))
    if problem.get("fix"):
        text = f"{text}（{problem['fix']}）"
    code = str(problem.get("code", ""))
    out = {
        "severity": "error",
        "code": _PROBLEM_ISSUE.get(code, "business-rule"),
        "details": {"coding": [{"system": PROBLEM_SYSTEM, "code": code}]},
        "diagnostics": text,
    }  # the service's messages are already Chinese / English
    if expression:
        out["expression"] = [expression]
    return out


def outcome_for(exc: DomainError, submission: FhirSubmission | None = None) -> tuple[int, dict[str, Any]]:
    """HTTP status and OperationOutcome for any domain error raised while handling FHIR input."""
    if isinstance(exc, FhirInvalid):
        return exc.status, operation_outcome(exc.issues)
    if isinstance(exc, ValidationFailed) and exc.problems:
        issues = [_problem_issue(p, submission) for p in exc.problems]
        return exc.status, operation_outcome(issues)
    if exc.extra.get("issues"):
        return exc.status, operation_outcome(exc.extra["issues"])
    code = _STATUS_ISSUE.get(exc.status, "processing")
    return exc.status, operation_outcome([{"severity": "error", "code": code, "diagnostics": exc.detail}])


def _accepted_issue(result: SubmissionResult) -> dict[str, Any]:
    verb = "试运行通过，未写入任何数据" if result.dry_run else "已接收"
    verb_en = "dry run passed, nothing was written" if result.dry_run else "accepted"
    return {
        "severity": "information",
        "code": "informational",
        "diagnostics": f"{verb}：医院 {result.hospital_id} {result.quarter}，变更 {len(result.changed)} 项，"
        f"未变 {len(result.unchanged)} 项，上报版本 {result.version} / {verb_en}: hospital "
        f"{result.hospital_id} {result.quarter}, {len(result.changed)} changed, "
        f"{len(result.unchanged)} unchanged, submission version {result.version}",
    }


def _warning_issues(result: SubmissionResult, submission: FhirSubmission) -> list[dict[str, Any]]:
    paths = {r.indicator: f"{r.path}.measure" for r in submission.reports}
    return [
        {
            "severity": "warning",
            "code": "informational",
            "diagnostics": w.message,
            **({"expression": [paths[w.indicator]]} if w.indicator in paths else {}),
        }
        for w in result.warnings
    ]


def success_response(result: SubmissionResult, submission: FhirSubmission) -> dict[str, Any]:
    """OperationOutcome for a MeasureReport or collection; a batch/transaction-response Bundle otherwise."""
    outcome = operation_outcome([_accepted_issue(result), *_warning_issues(result, submission)])
    if submission.bundle_type not in ("batch", "transaction"):
        return outcome
    changed = set(result.changed)
    entries = [
        {"response": {"status": "201 Created" if r.indicator in changed else "200 OK", "outcome": outcome}}
        for r in submission.reports
    ]
    return {"resourceType": "Bundle", "type": f"{submission.bundle_type}-response", "entry": entries}


def _computable_name(code: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", code).strip("_")
    return name if name[:1].isupper() else f"M_{name}"


def measure_resource(indicator: Any, base: str | None = None) -> dict[str, Any]:
    """A minimal FHIR R4 Measure for one catalog indicator (``services.models.Indicator``)."""
    scoring = "proportion" if indicator.kind == "proportion" else "ratio"
    notation = "increase" if indicator.direction == "higher" else "decrease"
    # R4 requires population.criteria (an Expression); the catalog defines each population in words,
    # so the criteria is that definition as text/plain (ExpressionLanguage is an extensible binding).
    populations = [
        {
            "code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]},
            "description": text,
            "criteria": {"language": "text/plain", "expression": text},
        }
        for code, text in (("numerator", indicator.numerator), ("denominator", indicator.denominator))
    ]
    return {
        "resourceType": "Measure",
        "id": indicator.code,
        "url": measure_url(indicator.code, base),
        "version": str(indicator.year),
        "name": _computable_name(indicator.code),
        "title": indicator.name,
        "subtitle": indicator.name_en,
        "status": "active",
        "description": f"{indicator.name}（单位 {indicator.unit}，乘数 {indicator.multiplier}）",
        "scoring": {"coding": [{"system": SCORING_SYSTEM, "code": scoring}]},
        "improvementNotation": {"coding": [{"system": IMPROVEMENT_SYSTEM, "code": notation}]},
        "group": [{"population": populations}],
    }
