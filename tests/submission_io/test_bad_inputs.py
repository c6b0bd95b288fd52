"""The bad-input table for files and FHIR: each case as a client would send it, refused with the
exact error and problem codes, and nothing written (checked in the database as the owner)."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from services.core.errors import DomainError, ValidationFailed
from services.core.quarter import Quarter
from services.submission.io_common import TemplateMeta
from services.submission.io_service import submit_fhir, submit_upload
from services.submission.io_template import xlsx_template
from tests.submission.conftest import QUARTER
from tests.submission.support import as_app, counts, submitter
from tests.submission_io.builders import INDICATORS, bundle, filled, population, report, rezip
from tests.submission_io.test_service_db import system_actor
from tests.submission_io.test_xlsx import XXE

Q = Quarter.parse(QUARTER)
HEAD = "指标编码,分子,分母,备注\n"


@dataclass(frozen=True)
class Ctx:
    hospital_id: int
    other_id: int
    credit: str

    def template(self, hospital_id: int | None = None, quarter: Quarter = Q) -> bytes:
        return xlsx_template(
            TemplateMeta(hospital_id or self.hospital_id, quarter, quarter.year),
            INDICATORS,
            hospital_name="测试医院",
        )

    def xlsx(self, cells: dict, **kw) -> bytes:
        return filled(cells, data=kw.pop("data", None) or self.template(), **kw)

    def fhir(self, **kw) -> dict:
        return report(credit=self.credit, **kw)


def csv(body: str, encoding: str = "utf-8") -> Callable[[Ctx], tuple[str, object]]:
    return lambda c: ("csv", (HEAD + body).encode(encoding))


def no_numerator(c: Ctx) -> dict:
    doc = c.fhir()
    doc["group"][0]["population"] = [population("denominator", 4)]
    return doc


def pending(c: Ctx) -> dict:
    return {**c.fhir(), "status": "pending"}


CASES: list[tuple[str, Callable[[Ctx], tuple[str, object]], str, list[str]]] = [
    (
        "csv_undecodable_bytes",
        lambda c: ("csv", b"indicator,numerator,denominator\nA,1,2\xff\n"),
        "file_unreadable",
        ["undecodable"],
    ),
    ("csv_utf16", lambda c: ("csv", HEAD.encode("utf-16")), "file_unreadable", ["utf16"]),
    (
        "csv_nul_byte",
        lambda c: ("csv", b"indicator,numerator,denominator\nA,1\x00,2\n"),
        "file_unreadable",
        ["binary_file"],
    ),
    (
        "csv_unknown_column",
        lambda c: ("csv", "指标编码,分子,分母,比率\nNIT-2023-I.1,1,2,0.5\n".encode()),
        "validation_failed",
        ["unknown_column"],
    ),
    (
        "csv_missing_column",
        lambda c: ("csv", "指标编码,分子\nNIT-2023-I.1,1\n".encode()),
        "validation_failed",
        ["missing_column"],
    ),
    ("csv_text_count", csv("NIT-2023-I.1,abc,2,\n"), "validation_failed", ["not_a_count"]),
    (
        "csv_negative_and_blank",
        csv("NIT-2023-I.1,-1,,\n", "gb18030"),
        "validation_failed",
        ["not_a_count", "required"],
    ),
    ("csv_thousands_separator", csv('NIT-2023-I.1,"1,200",2000,\n'), "validation_failed", ["not_a_count"]),
    (
        "csv_repeated_indicator",
        csv("NIT-2023-I.1,1,2,\nNIT-2023-I.1,1,3,\n"),
        "validation_failed",
        ["duplicate_indicator"],
    ),
    ("csv_header_only", lambda c: ("csv", codecs.BOM_UTF8 + HEAD.encode()), "validation_failed", ["no_rows"]),
    ("csv_service_rule", csv("NIT-2023-I.1,5,2,\n"), "validation_failed", ["numerator_above_denominator"]),
    (
        "csv_other_hospitals_template",
        lambda c: (
            "csv",
            f"#QCP,hospital={c.other_id},quarter={QUARTER},catalog=2023\n{HEAD}NIT-2023-I.1,1,2,\n".encode(),
        ),
        "template_mismatch",
        ["template_mismatch"],
    ),
    (
        "csv_too_large",
        lambda c: ("csv", (HEAD + "NIT-2023-I.1,1,2," + "x" * (2 * 1024 * 1024) + "\n").encode()),
        "file_too_large",
        [],
    ),
    (
        "xlsx_formula_cell",
        lambda c: ("xlsx", c.xlsx({"F4": "=2*3", "G4": 10}, formula_cells=("F4",))),
        "file_unreadable",
        ["formula_cell"],
    ),
    (
        "xlsx_fraction",
        lambda c: ("xlsx", c.xlsx({"F4": 0.5, "G4": 10})),
        "validation_failed",
        ["not_a_count"],
    ),
    (
        "xlsx_zip_bomb",
        lambda c: ("xlsx", rezip(c.template(), add={"xl/worksheets/sheet5.xml": b"0" * 9_000_000})),
        "unsafe_file",
        ["zip_bomb"],
    ),
    (
        "xlsx_external_entity",
        lambda c: ("xlsx", rezip(c.template(), add={"xl/sharedStrings.xml": XXE})),
        "unsafe_file",
        ["dtd_forbidden"],
    ),
    (
        "xlsx_macro",
        lambda c: ("xlsx", rezip(c.template(), add={"xl/vbaProject.bin": b"\x00" * 64})),
        "unsafe_file",
        ["unexpected_member"],
    ),
    (
        "xlsx_other_quarter",
        lambda c: ("xlsx", c.xlsx({"F4": 1, "G4": 2}, data=c.template(quarter=Quarter(2023, 3)))),
        "template_mismatch",
        ["template_mismatch"],
    ),
    ("xlsx_not_a_zip", lambda c: ("xlsx", b"PK\x03\x04garbage"), "file_unreadable", ["not_a_workbook"]),
    (
        "fhir_wrong_resource",
        lambda c: ("MeasureReport", {"resourceType": "Observation"}),
        "fhir_invalid",
        ["invalid"],
    ),
    (
        "fhir_period_not_a_quarter",
        lambda c: ("MeasureReport", c.fhir(end="2023-07-01")),
        "fhir_invalid",
        ["invalid"],
    ),
    ("fhir_missing_numerator", lambda c: ("MeasureReport", no_numerator(c)), "fhir_invalid", ["required"]),
    ("fhir_fractional_count", lambda c: ("MeasureReport", c.fhir(num=1.5)), "fhir_invalid", ["invalid"]),
    (
        "fhir_unknown_measure",
        lambda c: ("MeasureReport", c.fhir(code="NIT-2099-I.1")),
        "fhir_invalid",
        ["not-found"],
    ),
    ("fhir_status_pending", lambda c: ("MeasureReport", pending(c)), "fhir_invalid", ["invalid"]),
    (
        "fhir_other_hospital",
        lambda c: ("MeasureReport", report(credit="91330000000000000X")),
        "forbidden",
        ["forbidden"],
    ),
    (
        "fhir_service_rule",
        lambda c: ("MeasureReport", c.fhir(num=9, den=3)),
        "fhir_invalid",
        ["business-rule"],
    ),
    (
        "fhir_bundle_two_quarters",
        lambda c: (
            "Bundle",
            bundle(c.fhir(), c.fhir(code="NIT-2023-VIII.1", start="2023-07-01", end="2023-09-30")),
        ),
        "fhir_invalid",
        ["invalid"],
    ),
    (
        "fhir_batch_without_request",
        lambda c: ("Bundle", {**bundle(c.fhir()), "type": "batch"}),
        "fhir_invalid",
        ["required"],
    ),
]


def attempt(session, ctx: Ctx, kind: str, payload: object) -> tuple[str, list[str]]:
    try:
        if kind in ("csv", "xlsx"):
            submit_upload(
                session,
                submitter(ctx.hospital_id),
                hospital_id=ctx.hospital_id,
                quarter=Q,
                data=payload,
                kind=kind,
            )
        else:
            submit_fhir(session, system_actor(ctx.hospital_id), document=payload, expect=kind)
    except ValidationFailed as exc:
        return exc.code, sorted(str(p.get("code")) for p in exc.problems)
    except DomainError as exc:
        return exc.code, sorted(i["code"] for i in exc.extra.get("issues", []))
    return "accepted", []


@pytest.mark.parametrize(("name", "build", "error", "problems"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_or_fhir_input_is_refused_and_nothing_is_written(
    owner_session, world, name, build, error, problems
):
    credit = owner_session.execute(
        text("SELECT credit_code FROM hospitals WHERE id = :h"), {"h": world.zj}
    ).scalar_one()
    ctx = Ctx(world.zj, world.zj_other, credit)
    kind, payload = build(ctx)
    before = counts(owner_session, world.zj)
    as_app(owner_session, submitter(world.zj))
    assert attempt(owner_session, ctx, kind, payload) == (error, sorted(problems))
    assert counts(owner_session, world.zj) == before
    assert before["submissions"] == 0


def test_the_table_covers_csv_xlsx_and_fhir_with_at_least_twelve_cases():
    kinds = {c[0].split("_", 1)[0] for c in CASES}
    assert kinds == {"csv", "xlsx", "fhir"} and len(CASES) >= 12
