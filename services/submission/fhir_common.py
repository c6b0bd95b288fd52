"""Shared FHIR pieces: settings, the canonical Measure URL, issues and the parsed result types."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.submission.schemas import ValueIn

POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"


class FhirSettings(BaseSettings):
    """``QCP_FHIR_BASE``: canonical base of Measure URLs; ``QCP_FHIR_USCC_SYSTEM``: identifier system
    of 统一社会信用代码 (no HL7-registered system exists; keep the value stable once published)."""

    model_config = SettingsConfigDict(env_prefix="QCP_FHIR_", extra="ignore")

    base: str = "https://qcp.example.org/fhir"
    uscc_system: str = "https://qcp.example.org/fhir/sid/uscc"
    max_bytes: int = 2 * 1024 * 1024


@lru_cache
def fhir_settings() -> FhirSettings:
    return FhirSettings()


def measure_url(code: str, base: str | None = None) -> str:
    return f"{(base or fhir_settings().base).rstrip('/')}/Measure/{code}"


class FhirInvalid(ValidationFailed):
    """A FHIR payload that cannot be accepted; ``issues`` are OperationOutcome issues."""

    code = "fhir_invalid"

    def __init__(self, issues: list[dict[str, Any]], detail: str | None = None) -> None:
        detail = (
            detail or f"FHIR 资源有 {len(issues)} 处错误 / the FHIR resource has {len(issues)} problem(s)"
        )
        super().__init__(detail, problems=issues, issues=issues)
        self.issues = issues


def issue(code: str, expression: str | None, zh: str, en: str) -> dict[str, Any]:
    out: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": f"{zh} / {en}"}
    if expression:
        out["expression"] = [expression]
    return out


@dataclass(frozen=True)
class FhirReport:
    path: str  # FHIRPath of the MeasureReport: "MeasureReport" or "Bundle.entry[2].resource"
    indicator: str
    quarter: Quarter
    credit_code: str
    numerator: int
    denominator: int
    expressions: dict[str, str] = field(default_factory=dict)  # numerator/denominator → count path


@dataclass(frozen=True)
class FhirSubmission:
    credit_code: str
    quarter: Quarter
    reports: list[FhirReport]
    bundle_type: str | None = None  # None for a single MeasureReport

    def values(self) -> list[ValueIn]:
        return [
            ValueIn(indicator=r.indicator, numerator=r.numerator, denominator=r.denominator)
            for r in self.reports
        ]
