"""The adapters end to end through ``submit`` on real PostgreSQL (as the restricted app role)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from services.core.actor import Actor, Role
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.submission.fhir import FhirInvalid
from services.submission.io_common import TemplateMismatch
from services.submission.io_service import measure_for, submit_fhir, submit_upload, template_for
from tests.submission.conftest import QUARTER
from tests.submission.support import as_app, counts, submitter
from tests.submission_io.builders import bundle, report

Q = Quarter.parse(QUARTER)


def credit_of(session, hospital_id: int) -> str:
    return session.execute(
        text("SELECT credit_code FROM hospitals WHERE id = :h"), {"h": hospital_id}
    ).scalar_one()


def system_actor(hospital_id: int, province: str = "330000") -> Actor:
    return Actor(
        subject=f"his-{hospital_id}",
        roles=frozenset({Role.HOSPITAL_SYSTEM}),
        province=province,
        hospital_id=hospital_id,
        client_id=f"his-{hospital_id}",
    )


def stored(session, hospital_id: int) -> dict[str, tuple[int, int]]:
    rows = session.execute(
        text(
            "SELECT i.code, v.numerator, v.denominator FROM submission_values v"
            " JOIN indicators i ON i.id = v.indicator_id"
            " WHERE v.hospital_id = :h ORDER BY i.code"
        ),
        {"h": hospital_id},
    ).all()
    return {code: (num, den) for code, num, den in rows}


def test_xlsx_template_filled_and_uploaded_is_stored(owner_session, world):
    actor = submitter(world.zj)
    as_app(owner_session, actor)
    data = template_for(owner_session, actor, hospital_id=world.zj, quarter=Q, kind="xlsx")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["上报数据"]
    codes = [ws[f"A{r}"].value for r in range(4, ws.max_row + 1)]
    assert "NIT-2023-I.1" in codes and not any(c.startswith("NIT-2022") for c in codes)
    row = 4 + codes.index("NIT-2023-I.1")
    ws[f"F{row}"], ws[f"G{row}"], ws[f"H{row}"] = 2, 9, "=A1 只是文字"
    ws[f"H{row}"].data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    result = submit_upload(
        owner_session, actor, hospital_id=world.zj, quarter=Q, data=out.getvalue(), kind="xlsx"
    )
    assert result.changed == ["NIT-2023-I.1"]
    assert stored(owner_session, world.zj) == {"NIT-2023-I.1": (2, 9)}
    comment = owner_session.execute(
        text("SELECT comment FROM submission_values WHERE hospital_id = :h"), {"h": world.zj}
    ).scalar_one()
    assert comment == "=A1 只是文字"


def test_csv_upload_dry_run_writes_nothing(owner_session, world):
    before = counts(owner_session, world.zj)
    as_app(owner_session, submitter(world.zj))
    data = "指标编码,分子,分母\nNIT-2023-I.1,1,4\n".encode("gb18030")
    result = submit_upload(
        owner_session,
        submitter(world.zj),
        hospital_id=world.zj,
        quarter=Q,
        data=data,
        kind="csv",
        dry_run=True,
    )
    assert result.dry_run and result.changed == ["NIT-2023-I.1"]
    assert counts(owner_session, world.zj) == before


def test_service_problems_carry_the_file_row(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    data = b"indicator,numerator,denominator\nNIT-2023-I.1,1,4\nNIT-2099-I.1,1,2\nNIT-2023-VIII.1,5,4\n"
    with pytest.raises(ValidationFailed) as err:
        submit_upload(
            owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q, data=data, kind="csv"
        )
    assert sorted((p["row"], p["code"]) for p in err.value.problems) == [
        (3, "unknown_indicator"),
        (4, "numerator_above_denominator"),
    ]


def test_a_template_of_another_hospital_is_refused(owner_session, world):
    as_app(owner_session, submitter(world.zj_other))
    other = template_for(
        owner_session, submitter(world.zj_other), hospital_id=world.zj_other, quarter=Q, kind="csv"
    )
    as_app(owner_session, submitter(world.zj))
    filled = other.decode("utf-8-sig").replace(",%,,,", ",%,1,2,", 1).encode()
    with pytest.raises(TemplateMismatch):
        submit_upload(
            owner_session, submitter(world.zj), hospital_id=world.zj, quarter=Q, data=filled, kind="csv"
        )


def test_another_hospitals_template_cannot_be_downloaded(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    with pytest.raises(NotFound):
        template_for(owner_session, submitter(world.zj), hospital_id=world.gd, quarter=Q, kind="xlsx")


def test_fhir_bundle_is_stored_for_the_callers_hospital(owner_session, world):
    credit = credit_of(owner_session, world.zj)
    actor = system_actor(world.zj)
    as_app(owner_session, actor)
    doc = bundle(
        report("NIT-2023-I.1", 1, 3, credit=credit),
        report("NIT-2023-VIII.1", 2, 5, credit=credit),
        kind="transaction",
    )
    result, parsed = submit_fhir(owner_session, actor, document=doc, expect="Bundle")
    assert sorted(result.changed) == ["NIT-2023-I.1", "NIT-2023-VIII.1"]
    assert stored(owner_session, world.zj) == {"NIT-2023-I.1": (1, 3), "NIT-2023-VIII.1": (2, 5)}
    source = owner_session.execute(
        text("SELECT DISTINCT source FROM submission_value_versions WHERE hospital_id = :h"), {"h": world.zj}
    ).scalar_one()
    assert source == "fhir"


def test_fhir_report_for_another_hospital_is_forbidden(owner_session, world):
    other = credit_of(owner_session, world.zj_other)
    before = counts(owner_session, world.zj)
    as_app(owner_session, system_actor(world.zj))
    with pytest.raises(PermissionDenied) as err:
        submit_fhir(
            owner_session, system_actor(world.zj), document=report(credit=other), expect="MeasureReport"
        )
    assert err.value.extra["issues"][0]["expression"] == ["MeasureReport.reporter.identifier.value"]
    assert counts(owner_session, world.zj) == before


def test_fhir_service_problem_names_the_population_count(owner_session, world):
    credit = credit_of(owner_session, world.zj)
    as_app(owner_session, system_actor(world.zj))
    doc = bundle(report("NIT-2023-I.1", 1, 3, credit=credit), report("NIT-2023-VIII.1", 6, 5, credit=credit))
    with pytest.raises(FhirInvalid) as err:
        submit_fhir(owner_session, system_actor(world.zj), document=doc, expect="Bundle")
    assert [(i["code"], i["expression"]) for i in err.value.issues] == [
        ("business-rule", ["Bundle.entry[1].resource.group[0].population[0].count"])
    ]


def test_measure_describes_a_catalog_indicator(owner_session, world):
    as_app(owner_session, None)
    measure = measure_for(owner_session, code="PIT-2023-90.1")
    assert measure["id"] == "PIT-2023-90.1" and measure["scoring"]["coding"][0]["code"] == "ratio"
