"""Uploads and FHIR through real HTTP with real signed tokens (committed data, unique hospitals).

Uses the session ``api`` harness when ``create_app`` mounts the upload and FHIR routers; until the
lead wires ``io_routes.register_routers`` it starts a second server on the same issuer with them.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from services.submission.fhir import fhir_settings
from services.submission.io_template import XLSX_MEDIA_TYPE
from tests.submission.support import ZJ, add_hospital, ensure_year, submitter
from tests.submission_io.builders import bundle, report

YEAR, QUARTER, CODES = 2008, "2008Q1", ("TST-2008-I.1", "TST-2008-I.2")
FHIR = {"Content-Type": "application/fhir+json"}


@pytest.fixture(scope="module")
def live(api):
    """The session's live API (create_app mounts the upload and FHIR routers)."""
    return api


@pytest.fixture
def hospital(owner_engine) -> dict:
    with Session(owner_engine) as session, session.begin():
        session.info["raw"] = True
        session.execute(text("SELECT pg_advisory_xact_lock(20081)"))
        ensure_year(
            session, YEAR, {"TST-2008-I": ("national", 1, [("1", "proportion"), ("2", "proportion")])}
        )
        far = datetime.now(UTC) + timedelta(days=3650)
        session.execute(
            text(
                "INSERT INTO submission_windows (province_code, quarter, opens_at, due_at, locks_at,"
                " set_by) VALUES (:p, :q, '2008-04-01', :f, :f, 'tests')"
                " ON CONFLICT (province_code, quarter) DO NOTHING"
            ),
            {"p": ZJ, "q": QUARTER, "f": far},
        )
        ids = [add_hospital(session, ZJ, "上传测试医院"), add_hospital(session, ZJ, "上传测试乙院")]
        credit = session.execute(
            text("SELECT credit_code FROM hospitals WHERE id = :h"), {"h": ids[0]}
        ).scalar_one()
    return {"id": ids[0], "other": ids[1], "credit": credit}


def stored(owner_engine, hospital_id: int, *, expect_rows: bool = False) -> dict[str, tuple[int, int]]:
    """The hospital's stored values, read at once: ``DbSession`` commits before the response is
    sent, so a 2xx means the rows are already there (no polling)."""
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.code, v.numerator, v.denominator FROM submission_values v JOIN indicators i"
                " ON i.id = v.indicator_id WHERE v.hospital_id = :h"
            ),
            {"h": hospital_id},
        ).all()
    return {code: (n, d) for code, n, d in rows}


def url(hospital_id: int, suffix: str) -> str:
    return f"/api/v1/hospitals/{hospital_id}/submissions/{QUARTER}/{suffix}"


def system(hospital_id: int) -> Actor:
    return Actor(
        subject=f"his-{hospital_id}",
        roles=frozenset({Role.HOSPITAL_SYSTEM}),
        province=ZJ,
        hospital_id=hospital_id,
    )


def test_downloaded_xlsx_template_filled_and_uploaded_is_stored(live, hospital, owner_engine):
    client = live.client_for(submitter(hospital["id"]))
    got = client.get(url(hospital["id"], "template.xlsx"))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == XLSX_MEDIA_TYPE
    assert (
        got.headers["content-disposition"]
        == f'attachment; filename="qcp-template-{hospital["id"]}-{QUARTER}.xlsx"'
    )
    wb = load_workbook(io.BytesIO(got.content))
    ws = wb["上报数据"]
    assert [ws["A4"].value, ws["A5"].value] == list(CODES)
    ws["F4"], ws["G4"], ws["F5"], ws["G5"] = 3, 30, 0, 0
    out = io.BytesIO()
    wb.save(out)
    files = {"file": ("../../etc/passwd.xlsx", out.getvalue(), XLSX_MEDIA_TYPE)}
    sent = client.post(url(hospital["id"], "upload"), files=files)
    assert sent.status_code == 200, sent.text
    assert sorted(sent.json()["changed"]) == list(CODES)
    assert stored(owner_engine, hospital["id"], expect_rows=True) == {CODES[0]: (3, 30), CODES[1]: (0, 0)}


def test_csv_template_and_dry_run_upload_write_nothing(live, hospital, owner_engine):
    client = live.client_for(submitter(hospital["id"]))
    template = client.get(url(hospital["id"], "template.csv"))
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    body = template.content.decode("utf-8-sig").replace(",%,,,", ",%,1,2,", 1).encode("utf-8-sig")
    sent = client.post(
        url(hospital["id"], "upload"), params={"dry_run": "true"}, files={"file": ("x.csv", body, "text/csv")}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["dry_run"] is True and sent.json()["changed"] == [CODES[0]]
    assert stored(owner_engine, hospital["id"]) == {}


def _filled_csv(client, hospital_id: int, num: int, den: int) -> bytes:
    template = client.get(url(hospital_id, "template.csv"))
    assert template.status_code == 200, template.text
    text_ = template.content.decode("utf-8-sig").replace(",%,,,", f",%,{num},{den},", 1)
    return text_.encode("utf-8-sig")


def test_a_submitted_quarter_is_corrected_by_upload_with_a_reason(live, hospital, owner_engine):
    client = live.client_for(submitter(hospital["id"]))
    first = client.post(
        url(hospital["id"], "upload"),
        files={"file": ("q.csv", _filled_csv(client, hospital["id"], 1, 2), "text/csv")},
    )
    assert first.status_code == 200, first.text
    again = _filled_csv(client, hospital["id"], 2, 4)
    refused = client.post(url(hospital["id"], "upload"), files={"file": ("q.csv", again, "text/csv")})
    assert refused.status_code == 422, refused.text
    assert "reason" in refused.text and "更正原因" in refused.text
    assert stored(owner_engine, hospital["id"])[CODES[0]] == (1, 2)  # nothing changed by the refusal
    reason = "更正：漏报 1 例 / correction: one case was missed"
    sent = client.post(
        url(hospital["id"], "upload"),
        files={"file": ("q.csv", again, "text/csv")},
        data={"reason": reason},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["changed"] == [CODES[0]] and sent.json()["version"] == 2
    assert stored(owner_engine, hospital["id"])[CODES[0]] == (2, 4)
    with owner_engine.connect() as conn:
        kept = (
            conn.execute(
                text("SELECT reason FROM submission_value_versions WHERE hospital_id = :h ORDER BY id"),
                {"h": hospital["id"]},
            )
            .scalars()
            .all()
        )
    assert reason in kept


def test_upload_problems_name_rows_and_nothing_is_written(live, hospital, owner_engine):
    client = live.client_for(submitter(hospital["id"]))
    data = f"indicator,numerator,denominator\n{CODES[0]},x,2\n{CODES[1]},5,2\n".encode()
    sent = client.post(url(hospital["id"], "upload"), files={"file": ("a.csv", data, "text/csv")})
    assert sent.status_code == 422
    assert [(p["row"], p["code"]) for p in sent.json()["problems"]] == [(2, "not_a_count")]
    assert stored(owner_engine, hospital["id"]) == {}


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"files": {"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}}, 415, "unsupported_media_type"),
        ({"json": {"values": []}}, 415, "unsupported_media_type"),
        (
            {"files": {"file": ("a.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "application/vnd.ms-excel")}},
            415,
            "unsupported_media_type",
        ),
        ({"files": {"file": ("a.csv", b"a" * (2 * 1024 * 1024 + 1), "text/csv")}}, 413, "file_too_large"),
        ({"files": {"other": ("a.csv", b"indicator", "text/csv")}}, 422, "validation_failed"),
    ],
    ids=["pdf", "not-multipart", "legacy-xls", "too-large", "no-file-field"],
)
def test_upload_refuses_wrong_type_size_or_shape(live, hospital, owner_engine, kwargs, status, error):
    client = live.client_for(submitter(hospital["id"]))
    sent = client.post(url(hospital["id"], "upload"), **kwargs)
    assert (sent.status_code, sent.json()["error"]) == (status, error)
    assert stored(owner_engine, hospital["id"]) == {}


def test_another_hospital_can_neither_download_nor_upload(live, hospital, owner_engine):
    client = live.client_for(submitter(hospital["other"]))
    assert client.get(url(hospital["id"], "template.xlsx")).status_code == 404
    data = f"indicator,numerator,denominator\n{CODES[0]},1,2\n".encode()
    assert (
        client.post(url(hospital["id"], "upload"), files={"file": ("a.csv", data, "text/csv")}).status_code
        == 404
    )
    assert stored(owner_engine, hospital["id"]) == {}


def fhir_report(hospital: dict, code: str = CODES[0], num: object = 2, den: object = 8) -> dict:
    return report(
        code, num, den, start="2008-01-01", end="2008-03-31T23:59:59+08:00", credit=hospital["credit"]
    )


def test_fhir_measure_report_is_stored(live, hospital, owner_engine):
    client = live.client_for(system(hospital["id"]))
    sent = client.post("/fhir/MeasureReport", json=fhir_report(hospital), headers=FHIR)
    assert sent.status_code == 200, sent.text
    assert sent.headers["content-type"] == "application/fhir+json"
    assert sent.json()["issue"][0]["severity"] == "information"
    assert stored(owner_engine, hospital["id"], expect_rows=True) == {CODES[0]: (2, 8)}


def test_fhir_transaction_bundle_answers_a_transaction_response(live, hospital, owner_engine):
    client = live.client_for(system(hospital["id"]))
    doc = bundle(fhir_report(hospital), fhir_report(hospital, CODES[1], 1, 1), kind="transaction")
    sent = client.post("/fhir", json=doc, headers=FHIR)
    assert sent.status_code == 200, sent.text
    assert sent.json()["type"] == "transaction-response"
    assert stored(owner_engine, hospital["id"], expect_rows=True) == {CODES[0]: (2, 8), CODES[1]: (1, 1)}


@pytest.mark.parametrize(
    ("doc", "headers", "status", "issue"),
    [
        ("report", {"Content-Type": "application/json"}, 415, ("not-supported", None)),
        ("bad-count", FHIR, 422, ("invalid", "MeasureReport.group[0].population[0].count")),
        ("above", FHIR, 422, ("business-rule", "MeasureReport.group[0].population[0].count")),
        ("not-json", FHIR, 422, ("structure", None)),
        ("other-hospital", FHIR, 403, ("forbidden", "MeasureReport.reporter.identifier.value")),
    ],
)
def test_fhir_errors_are_operation_outcomes_and_write_nothing(
    live, hospital, owner_engine, doc, headers, status, issue
):
    client = live.client_for(system(hospital["id"]))
    bodies = {
        "report": fhir_report(hospital),
        "bad-count": fhir_report(hospital, num="2"),
        "above": fhir_report(hospital, num=9, den=3),
        "other-hospital": {
            **fhir_report(hospital),
            "reporter": {
                "identifier": {"system": fhir_settings().uscc_system, "value": "91330000000000000X"}
            },
        },
    }
    content = b"{not json" if doc == "not-json" else None
    sent = client.post("/fhir/MeasureReport", json=bodies.get(doc), content=content, headers=headers)
    assert sent.status_code == status, sent.text
    outcome = sent.json()
    assert outcome["resourceType"] == "OperationOutcome"
    first = outcome["issue"][0]
    assert (first["code"], (first.get("expression") or [None])[0]) == issue
    assert stored(owner_engine, hospital["id"]) == {}


def test_measure_is_public_and_unknown_measure_is_not_found(live, hospital):
    client = live.anonymous()
    got = client.get(f"/fhir/Measure/{CODES[0]}")
    assert got.status_code == 200, got.text
    assert got.json()["url"] == f"{fhir_settings().base}/Measure/{CODES[0]}"
    missing = client.get("/fhir/Measure/NIT-2099-I.1")
    assert missing.status_code == 404 and missing.json()["issue"][0]["code"] == "not-found"


def test_a_chunked_upload_is_cut_off_at_the_limit(live, hospital, owner_engine):
    client = live.client_for(submitter(hospital["id"]))
    boundary = "qcpboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()

    def body():  # no Content-Length: the server must count as it reads
        yield head
        for _ in range(48):
            yield b"x" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    sent = client.post(
        url(hospital["id"], "upload"),
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert (sent.status_code, sent.json()["error"]) == (413, "file_too_large")
    assert stored(owner_engine, hospital["id"]) == {}
