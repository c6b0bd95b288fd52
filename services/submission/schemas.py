"""Payloads and results of the submission use cases (shape only; rules live in validation.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.core.schemas import ReadModel, StrictModel

Source = Literal["api", "csv", "xlsx", "fhir", "page"]
Status = Literal["draft", "submitted", "returned", "approved"]


class ValueIn(StrictModel):
    """One indicator's counts for the quarter. Counts are whole numbers; 0/0 means no cases (无病例)."""

    indicator: str = Field(min_length=1, max_length=40, examples=["NIT-2023-IV.1"])
    numerator: int = Field(examples=[3])
    denominator: int = Field(examples=[1200])
    comment: str | None = Field(default=None, max_length=2000, examples=["含日间手术 / includes day surgery"])

    @field_validator("numerator", "denominator", mode="before")
    @classmethod
    def _json_integer(cls, value: Any) -> Any:
        # One contract on every channel: a count is a JSON integer. "45", " 12 ", 1e3, 3.0 and true
        # would otherwise become 45, 12, 1000, 3 and 1 silently (CSV and XLSX cells are read as whole
        # numbers by their parsers, which name the row, before they get here).
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"计数必须是 JSON 整数（不加引号，不用小数点或指数），收到 {value!r} / counts must be JSON "
                f"integers (no quotes, no decimal point, no exponent), got {value!r}"
            )
        return value


class SubmissionIn(StrictModel):
    values: list[ValueIn] = Field(min_length=1, max_length=2000)
    reason: str | None = Field(
        default=None, max_length=2000, examples=["更正：漏报 3 例 / correction: 3 cases were missed"]
    )

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "values": [
                        {"indicator": "NIT-2023-IV.1", "numerator": 1, "denominator": 1200},
                        {"indicator": "NIT-2023-IV.2", "numerator": 2, "denominator": 1200},
                        {"indicator": "NIT-2023-IV.3", "numerator": 3, "denominator": 1200},
                    ],
                    "reason": None,
                }
            ]
        },
    )


class Problem(BaseModel):
    """One reason a submission was refused (``code`` is stable; messages are Chinese / English)."""

    indicator: str | None = None
    field: str
    code: str
    problem: str
    fix: str
    index: int | None = None  # position in ``values`` (adapters map it back to a file row)


class PlausibilityWarning(BaseModel):
    """Accepted, but worth a second look (does not block)."""

    indicator: str
    code: str
    message: str


class ValueRead(ReadModel):
    indicator: str
    numerator: int
    denominator: int
    comment: str | None
    version: int
    no_cases: bool  # denominator 0: reported as "no cases", excluded from rates


class SubmissionResult(BaseModel):
    hospital_id: int
    quarter: str
    catalog_year: int
    status: Status
    version: int
    late: bool
    dry_run: bool = False
    replayed: bool = False  # the stored answer to an earlier request with the same Idempotency-Key
    changed: list[str] = []
    unchanged: list[str] = []
    values: list[ValueRead] = []
    warnings: list[PlausibilityWarning] = []


class SubmissionRead(BaseModel):
    hospital_id: int
    quarter: str
    catalog_year: int
    status: Status
    version: int  # send it back as If-Match when correcting
    late: bool
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_comment: str
    reopened_at: datetime | None
    values: list[ValueRead]


class ValueVersionRead(ReadModel):
    indicator: str
    version: int
    numerator: int
    denominator: int
    comment: str | None
    reason: str
    source: str
    actor_subject: str
    actor_roles: list[str]
    client_id: str | None
    recorded_at: datetime


class EventRead(ReadModel):
    action: str
    from_status: str | None
    to_status: str
    submission_version: int
    comment: str
    actor_subject: str
    at: datetime
