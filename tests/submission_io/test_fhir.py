"""FHIR MeasureReport / Bundle parsing and the resources the platform answers with."""

from __future__ import annotations

import pytest

from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.submission.fhir import FhirInvalid, parse_date, parse_fhir
from services.submission.fhir_resources import measure_resource, outcome_for, success_response
from services.submission.schemas import SubmissionResult
from tests.submission_io.builders import CREDIT, bundle, population, report

KNOWN = {"NIT-2023-I.1", "NIT-2023-I.2"}


def issues_of(doc: dict, expect: str = "MeasureReport") -> list[tuple[str, str]]:
    with pytest.raises(FhirInvalid) as err:
        parse_fhir(doc, expect=expect, known_codes=KNOWN)
    return [(i["code"], i["expression"][0]) for i in err.value.issues]


def test_reads_a_single_measure_report() -> None:
    parsed = parse_fhir(report(), expect="MeasureReport", known_codes=KNOWN)
    assert (parsed.credit_code, parsed.quarter, parsed.bundle_type) == (CREDIT, Quarter(2023, 2), None)
    assert [v.model_dump() for v in parsed.values()] == [
        {"indicator": "NIT-2023-I.1", "numerator": 3, "denominator": 10, "comment": None}
    ]
    assert parsed.reports[0].expressions == {
        "numerator": "MeasureReport.group[0].population[0].count",
        "denominator": "MeasureReport.group[0].population[1].count",
    }


@pytest.mark.parametrize("kind", ["collection", "batch", "transaction"])
def test_reads_a_bundle_of_reports(kind: str) -> None:
    parsed = parse_fhir(bundle(report(), report("NIT-2023-I.2", 0, 0), kind=kind), expect="Bundle")
    assert [(r.indicator, r.numerator, r.denominator) for r in parsed.reports] == [
        ("NIT-2023-I.1", 3, 10),
        ("NIT-2023-I.2", 0, 0),
    ]
    assert parsed.reports[1].path == "Bundle.entry[1].resource"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2023-04-01T00:00:00+08:00", "2023-06-30T23:59:59+08:00"),
        ("2023-04", "2023-06"),
        ("2023-04-01T00:00:00Z", "2023-06-30"),
    ],
)
def test_tolerates_datetime_and_partial_date_forms(start: str, end: str) -> None:
    assert parse_fhir(report(start=start, end=end), expect="MeasureReport").quarter == Quarter(2023, 2)


def test_reads_dates_as_written_without_shifting_time_zones() -> None:
    assert str(parse_date("2023-04-01T00:00:00+08:00", end=False)) == "2023-04-01"
    assert parse_date("2023-13-01", end=False) is None


@pytest.mark.parametrize(
    ("start", "end"),
    [("2023-04-01", "2023-07-01"), ("2023-04-02", "2023-06-30"), ("2023-01-01", "2023-06-30")],
)
def test_refuses_a_period_that_is_not_one_quarter(start: str, end: str) -> None:
    assert issues_of(report(start=start, end=end)) == [("invalid", "MeasureReport.period")]


def test_refuses_a_missing_population_naming_it() -> None:
    doc = report()
    doc["group"][0]["population"] = [population("numerator", 3)]
    assert issues_of(doc) == [("required", "MeasureReport.group[0].population")]


@pytest.mark.parametrize("count", [2.5, "3", -1, True, None])
def test_refuses_a_count_that_is_not_a_non_negative_integer(count: object) -> None:
    code = "required" if count is None else "invalid"
    assert issues_of(report(num=count)) == [(code, "MeasureReport.group[0].population[0].count")]


def test_refuses_an_unknown_measure_url() -> None:
    doc = report()
    doc["measure"] = "https://other.example.org/Measure/NIT-2023-I.1"
    assert issues_of(doc) == [("not-found", "MeasureReport.measure")]
    assert issues_of(report("NIT-2099-X.1")) == [("not-found", "MeasureReport.measure")]


def test_ignores_the_measure_version() -> None:
    doc = report()
    doc["measure"] += "|2023"
    assert parse_fhir(doc, expect="MeasureReport").reports[0].indicator == "NIT-2023-I.1"


def test_refuses_an_organization_without_the_credit_code_system() -> None:
    doc = report()
    doc["reporter"]["identifier"]["system"] = "urn:oid:1.2.3"
    assert issues_of(doc) == [("invalid", "MeasureReport.reporter.identifier")]


def test_refuses_reporter_and_subject_naming_different_hospitals() -> None:
    doc = report()
    doc["subject"] = {"identifier": {**doc["reporter"]["identifier"], "value": "12330000470051726F"}}
    assert issues_of(doc) == [("invalid", "MeasureReport.subject")]


def test_lists_every_problem_in_a_bundle_with_its_path() -> None:
    bad = report("NIT-2023-I.2", num="x")
    bad["status"] = "pending"
    doc = bundle(report(), bad, report(), kind="batch")
    assert issues_of(doc, "Bundle") == [
        ("invalid", "Bundle.entry[1].resource.status"),
        ("invalid", "Bundle.entry[1].resource.group[0].population[0].count"),
        ("duplicate", "Bundle.entry[2].resource.measure"),
    ]


def test_refuses_a_bundle_mixing_quarters_or_hospitals() -> None:
    doc = bundle(report(), report("NIT-2023-I.2", start="2023-07-01", end="2023-09-30", credit="X"))
    assert issues_of(doc, "Bundle") == [
        ("invalid", "Bundle.entry[1].resource.period"),
        ("invalid", "Bundle.entry[1].resource.reporter"),
    ]


def test_maps_service_problems_to_fhir_paths() -> None:
    parsed = parse_fhir(bundle(report(), report("NIT-2023-I.2", 5, 4)), expect="Bundle")
    exc = ValidationFailed(
        "refused",
        problems=[
            {
                "indicator": "NIT-2023-I.2",
                "field": "numerator",
                "code": "numerator_above_denominator",
                "problem": "分子大于分母 / numerator exceeds denominator",
                "fix": "核对 / check",
                "index": 1,
            }
        ],
    )
    status, outcome = outcome_for(exc, parsed)
    assert status == 422
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1].resource.group[0].population[0].count"]
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "numerator_above_denominator"


def test_answers_a_batch_with_a_batch_response() -> None:
    parsed = parse_fhir(bundle(report(), report("NIT-2023-I.2", 1, 2), kind="batch"), expect="Bundle")
    result = SubmissionResult(
        hospital_id=7,
        quarter="2023Q2",
        catalog_year=2023,
        status="submitted",
        version=2,
        late=False,
        changed=["NIT-2023-I.1"],
        unchanged=["NIT-2023-I.2"],
    )
    answer = success_response(result, parsed)
    assert answer["type"] == "batch-response"
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created", "200 OK"]


def test_describes_an_indicator_as_a_measure() -> None:
    class Row:
        code, year, name, name_en, kind, direction = (
            "NIT-2023-I.1",
            2023,
            "再灌注治疗率",
            "Reperfusion",
            "proportion",
            "higher",
        )
        numerator, denominator, unit, multiplier = "分子", "分母", "%", 100

    measure = measure_resource(Row())
    assert measure["url"].endswith("/Measure/NIT-2023-I.1") and measure["name"] == "NIT_2023_I_1"
    assert measure["scoring"]["coding"][0]["code"] == "proportion"
    assert measure["improvementNotation"]["coding"][0]["code"] == "increase"
