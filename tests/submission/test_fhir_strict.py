"""FHIR input strictness (issue 21): unknown elements and modifier extensions refused, renumbered or
retired Measures name their successor, errors inside a Bundle name the indicator, and the guards'
and platform's errors on /fhir are OperationOutcomes."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import text

from services.core.actor import Actor, Role
from services.submission import io_service
from services.submission.fhir import parse_fhir
from services.submission.fhir_common import FhirInvalid
from tests.submission.conftest import QUARTER
from tests.submission.support import ZJ, as_app, counts
from tests.submission_io.builders import bundle, report


def refused(doc: dict, expect: str = "MeasureReport") -> list[dict]:
    with pytest.raises(FhirInvalid) as err:
        parse_fhir(doc, expect=expect)
    return err.value.issues


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (lambda d: d.update(measureScor={"value": 1}), "MeasureReport.measureScor"),
        (lambda d: d["group"][0].update(populaton=[]), "MeasureReport.group[0].populaton"),
        (
            lambda d: d["group"][0]["population"][0].update(countt=3),
            "MeasureReport.group[0].population[0].countt",
        ),
        (lambda d: d.update(rate=0.3), "MeasureReport.rate"),
    ],
)
def test_an_unknown_element_is_refused_naming_its_path(where, path: str):  # noqa: ANN001
    doc = report()
    where(doc)
    issues = refused(doc)
    found = [i for i in issues if i["expression"] == [path]]
    assert found and found[0]["code"] == "structure" and "unknown element" in found[0]["diagnostics"]


def test_known_elements_and_primitive_extensions_are_accepted():
    doc = report()
    doc.update(
        id="r1", date="2023-07-01", _status={"id": "s"}, extension=[{"url": "https://x", "valueString": "y"}]
    )
    doc["group"][0]["measureScore"] = {"value": 0.3}
    assert parse_fhir(doc, expect="MeasureReport").reports[0].numerator == 3


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (
            lambda d: d.update(modifierExtension=[{"url": "https://x/negated", "valueBoolean": True}]),
            "MeasureReport.modifierExtension",
        ),
        (
            lambda d: d["group"][0]["population"][1].update(
                modifierExtension=[{"url": "https://x", "valueBoolean": True}]
            ),
            "MeasureReport.group[0].population[1].modifierExtension",
        ),
        (
            lambda d: d["period"].update(modifierExtension=[{"url": "https://x"}]),
            "MeasureReport.period.modifierExtension",
        ),
        (lambda d: d.update(implicitRules="https://x/rules"), "MeasureReport.implicitRules"),
    ],
)
def test_a_modifier_extension_anywhere_is_refused(where, path: str):  # noqa: ANN001
    doc = report()
    where(doc)
    issues = refused(doc)
    found = [i for i in issues if i["expression"] == [path]]
    assert (
        found
        and found[0]["code"] == "not-supported"
        and "FHIR requires refusing it" in found[0]["diagnostics"]
    )


def test_an_empty_modifier_extension_list_is_harmless():
    doc = report()
    doc["modifierExtension"] = []
    assert parse_fhir(doc, expect="MeasureReport").reports


def test_errors_inside_a_bundle_name_the_indicator_not_only_the_path():
    good, bad, strange = report("NIT-2023-I.1"), report("NIT-2023-I.2", num=-1), report("NIT-2023-II.1")
    strange["group"][0]["population"][0]["modifierExtension"] = [{"url": "https://x"}]
    doc = bundle(good, bad, strange)
    doc["entry"][2]["fulUrl"] = "urn:uuid:1"
    issues = refused(doc, "Bundle")
    by_path = {i["expression"][0]: i["diagnostics"] for i in issues}
    assert by_path["Bundle.entry[1].resource.group[0].population[0].count"].startswith(
        "指标 NIT-2023-I.2 / indicator NIT-2023-I.2"
    )
    assert (
        "indicator NIT-2023-II.1"
        in by_path["Bundle.entry[2].resource.group[0].population[0].modifierExtension"]
    )
    assert "indicator NIT-2023-II.1" in by_path["Bundle.entry[2].fulUrl"]
    assert not any("NIT-2023-I.1" in d for d in by_path.values())


def system(hospital_id: int) -> Actor:
    return Actor(
        subject=f"his-{hospital_id}",
        roles=frozenset({Role.HOSPITAL_SYSTEM}),
        province=ZJ,
        hospital_id=hospital_id,
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NIT-2022-VI.2", ("use its 2023 successor", "NIT-2023-")),  # renumbered in 2023
        ("NIT-2022-VI.1", ("was retired in 2023", "retired")),
        ("NIT-2099-I.1", ("unknown indicator", "use an indicator code of the 2023 catalog")),
    ],
)
def test_a_measure_of_another_year_names_its_successor_or_says_it_was_retired(
    owner_session, world, code, expected
):  # noqa: ANN001
    credit = owner_session.execute(
        text("SELECT credit_code FROM hospitals WHERE id = :h"), {"h": world.zj}
    ).scalar_one()
    doc = bundle(report("NIT-2023-I.1", credit=credit), report(code, credit=credit))
    before = counts(owner_session, world.zj)
    actor = system(world.zj)
    as_app(owner_session, actor)
    with pytest.raises(FhirInvalid) as err:
        io_service.submit_fhir(owner_session, actor, document=copy.deepcopy(doc), expect="Bundle")
    [item] = err.value.issues
    assert item["expression"] == ["Bundle.entry[1].resource.measure"]
    assert f"indicator {code}" in item["diagnostics"]
    for text_ in expected:
        assert text_ in item["diagnostics"], item["diagnostics"]
    assert counts(owner_session, world.zj) == before
    assert QUARTER.startswith("2023")
