"""A FHIR client's view of the platform: every resource it returns parses with a FHIR R4 library.

``fhir.resources`` (8.x) models R5 at its top level; ``fhir.resources.R4B`` is the R4 line the platform
speaks (R4B changed nothing in Measure, MeasureReport, Bundle, OperationOutcome or CapabilityStatement).
The client builds its MeasureReport and Bundle with the library too, as a hospital system would.
"""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.measure import Measure
from fhir.resources.R4B.measurereport import MeasureReport
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.models import Indicator
from services.submission.fhir_resources import measure_resource
from tests.api.test_openapi import app, spec  # noqa: F401
from tests.submission_io.test_api import CODES, FHIR, fhir_report, hospital, live, stored, system  # noqa: F401

RESOURCES = {
    "Measure": Measure,
    "MeasureReport": MeasureReport,
    "Bundle": Bundle,
    "OperationOutcome": OperationOutcome,
    "CapabilityStatement": CapabilityStatement,
}


def parsed(answer: Any, model: type) -> Any:
    assert answer.headers["content-type"] == "application/fhir+json", answer.headers
    return model.model_validate(answer.json())


def client_report(hospital: dict, code: str, num: int, den: int) -> dict:  # noqa: F811
    """The report built and serialised by the FHIR library (not by hand)."""
    return MeasureReport.model_validate(fhir_report(hospital, code, num, den)).model_dump(mode="json")


def test_metadata_is_a_capability_statement_naming_what_the_server_does(live):  # noqa: F811
    answer = live.anonymous().get("/fhir/metadata")
    assert answer.status_code == 200, answer.text
    statement = parsed(answer, CapabilityStatement)
    assert statement.fhirVersion == "4.0.1" and statement.kind == "instance"
    assert "application/fhir+json" in statement.format
    rest = statement.rest[0]
    offered = {r.type: {i.code for i in r.interaction} for r in rest.resource}
    assert offered == {"Measure": {"read"}, "MeasureReport": {"create"}}
    assert {i.code for i in rest.interaction} == {"transaction", "batch"}
    assert statement.implementation.url == f"{live.base_url}/fhir"


def test_every_catalog_indicator_is_a_valid_r4_measure(owner_engine):
    with Session(owner_engine) as session:
        indicators = session.scalars(select(Indicator)).all()
        assert len(indicators) > 50  # the shipped catalogs are published in the test database
        for indicator in indicators:
            measure = Measure.model_validate(measure_resource(indicator))
            for population in measure.group[0].population:
                assert population.criteria.language == "text/plain" and population.criteria.expression


def test_served_measure_parses_and_unknown_measure_is_an_operation_outcome(live, hospital):  # noqa: F811
    client = live.anonymous()
    measure = parsed(client.get(f"/fhir/Measure/{CODES[0]}"), Measure)
    assert measure.id == CODES[0] and len(measure.group[0].population) == 2
    missing = client.get("/fhir/Measure/NIT-2099-I.1")
    assert missing.status_code == 404
    assert parsed(missing, OperationOutcome).issue[0].code == "not-found"


def test_library_built_report_and_bundle_are_accepted_and_answers_parse(live, hospital, owner_engine):  # noqa: F811
    client = live.client_for(system(hospital["id"]))
    one = client.post("/fhir/MeasureReport", json=client_report(hospital, CODES[0], 2, 8), headers=FHIR)
    assert one.status_code == 200, one.text
    assert parsed(one, OperationOutcome).issue[0].severity == "information"
    entries = [  # the first unchanged, the second new: no correction reason needed
        {"request": {"method": "POST", "url": "MeasureReport"}, "resource": client_report(hospital, c, n, d)}
        for c, n, d in ((CODES[0], 2, 8), (CODES[1], 1, 4))
    ]
    doc = Bundle.model_validate({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    sent = client.post("/fhir", json=doc.model_dump(mode="json"), headers=FHIR)
    assert sent.status_code == 200, sent.text
    answer = parsed(sent, Bundle)
    assert answer.type == "transaction-response" and len(answer.entry) == 2
    assert stored(owner_engine, hospital["id"], expect_rows=True) == {CODES[0]: (2, 8), CODES[1]: (1, 4)}


@pytest.mark.parametrize(
    ("body", "status"), [({"resourceType": "MeasureReport"}, 422), ("other-hospital", 403)]
)
def test_refusals_are_operation_outcomes_the_library_reads(live, hospital, body, status):  # noqa: F811
    if body == "other-hospital":
        body = fhir_report(hospital)
        body["reporter"]["identifier"]["value"] = "91330000000000000X"
    sent = live.client_for(system(hospital["id"])).post("/fhir/MeasureReport", json=body, headers=FHIR)
    assert sent.status_code == status, sent.text
    assert parsed(sent, OperationOutcome).issue[0].severity == "error"


def fhir_examples(spec: dict) -> list[tuple[str, dict]]:  # noqa: F811
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            bodies = [op.get("requestBody", {})] + list(op.get("responses", {}).values())
            for body in bodies:
                media = (body.get("content") or {}).get("application/fhir+json") or {}
                values = [media["example"]] if "example" in media else []
                values += [e["value"] for e in (media.get("examples") or {}).values()]
                found += [(f"{method.upper()} {path}", v) for v in values]
    return found


def test_every_fhir_example_in_the_openapi_document_parses(spec):  # noqa: F811
    examples = fhir_examples(spec)
    assert {v["resourceType"] for _, v in examples} == set(RESOURCES)
    for name, value in examples:
        RESOURCES[value["resourceType"]].model_validate(value), name
