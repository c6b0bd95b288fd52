"""Hostile files through the upload endpoint (POST …/submissions/{quarter}/upload): oversized files,
encoding mix-ups, XLSX zip bombs and external entities, path tricks in file names. Each is refused
with a clear error or stored harmlessly; nothing stored before is lost."""

from __future__ import annotations

import pytest

from services.core.actor import Role
from tests.reliability import attacks
from tests.reliability.conftest import QUARTER
from tests.reliability.support import actor, write_artifact

FIGURES = {"bad_files": 0, "refused": 0, "stored": 0}
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def hz(rel, rel_api):  # noqa: ANN001
    if not any(p.endswith("/upload") for p in rel_api.anonymous().get("/openapi.json").json()["paths"]):
        pytest.skip("the upload endpoint is not mounted")
    hospital = rel.add_hospital("330000", "上传攻击医院")
    client = rel_api.client_for(actor(Role.HOSPITAL_SUBMITTER, f"up-{hospital}", "330000", hospital))
    url = f"/api/v1/hospitals/{hospital}/submissions/{QUARTER}"
    assert client.post(url, json=attacks.values_body("原始", indicator="TST-2009-I.3")).status_code == 200
    return hospital, client, url


def _versions(rel, hospital: int) -> int:  # noqa: ANN001
    return rel.scalar("SELECT count(*) FROM submission_value_versions WHERE hospital_id = :h", h=hospital)


def _upload(client, url: str, data: bytes, name: str = "data.csv", media: str = CSV):  # noqa: ANN001, ANN202
    FIGURES["bad_files"] += 1
    return client.post(url + "/upload", files={"file": (name, data, media)})


def _refused(response, statuses: tuple[int, ...]) -> dict:  # noqa: ANN001
    assert response.status_code in statuses, response.text[:400]
    body = response.json()
    assert body["error"] and " / " in body["detail"]
    FIGURES["refused"] += 1
    return body


def test_oversized_file_is_refused_with_413(rel, hz):
    hospital, client, url = hz
    before = _versions(rel, hospital)
    data = attacks.csv_file([("TST-2009-I.1", 1, 2, "x" * 3_000_000)])
    _refused(_upload(client, url, data), (413,))
    assert _versions(rel, hospital) == before


def test_gb18030_csv_is_read_and_stored_correctly(rel, hz):
    hospital, client, url = hz
    data = attacks.csv_file(
        [("TST-2009-I.1", 3, 100, "国标编码备注"), ("TST-2009-I.2", 1, 50, "")], "gb18030"
    )
    response = _upload(client, url, data)
    assert response.status_code == 200, response.text[:400]
    FIGURES["stored"] += 1
    values = {v["indicator"]: v for v in client.get(url).json()["values"]}
    assert values["TST-2009-I.1"]["comment"] == "国标编码备注"


def test_utf8_and_gb18030_mixed_in_one_file_is_refused_naming_the_line(rel, hz):
    hospital, client, url = hz
    before = _versions(rel, hospital)
    good = attacks.csv_file([("TST-2009-I.1", 5, 100, "中文备注正常")])
    mixed = good + "TST-2009-I.2,1,10,国标备注\r\n".encode("gb18030")
    body = _refused(_upload(client, url, mixed), (400, 415, 422))
    assert "3" in body["detail"]  # the line of the damaged text
    _refused(_upload(client, url, b"\xff\xfe\x00\x00garbage\x00\x01"), (400, 415, 422))
    assert _versions(rel, hospital) == before


def test_csv_formulas_are_stored_as_text(rel, hz):
    _hospital, client, url = hz
    rows = [
        ("TST-2009-I.1", 7, 100, attacks.FORMULAS[0].replace(",", " ").replace('"', "")),
        ("TST-2009-I.2", 2, 100, "@SUM(1+1)"),
    ]
    response = _upload(client, url, attacks.csv_file(rows))
    assert response.status_code == 200, response.text[:400]
    values = {v["indicator"]: v["comment"] for v in client.get(url).json()["values"]}
    assert values["TST-2009-I.2"] == "@SUM(1+1)"
    FIGURES["stored"] += 1


def _template(client, url: str) -> bytes:  # noqa: ANN001
    response = client.get(url + "/template.xlsx")
    assert response.status_code == 200, response.text[:300]
    return response.content


def test_xlsx_zip_bomb_is_refused(rel, hz):
    hospital, client, url = hz
    before = _versions(rel, hospital)
    bomb = attacks.rezip(_template(client, url), {"xl/worksheets/sheet1.xml": attacks.zip_bomb_sheet()})
    assert len(bomb) < 2 * 1024 * 1024  # small on the wire, 200 MB unpacked
    body = _refused(_upload(client, url, bomb, "bomb.xlsx", XLSX), (400, 413, 415, 422))
    assert "zip bomb" in body["detail"] or body["error"] in ("file_too_large", "unsafe_file")
    assert _versions(rel, hospital) == before


def test_xlsx_external_entity_is_refused(rel, hz):
    import io
    import zipfile

    hospital, client, url = hz
    before = _versions(rel, hospital)
    template = _template(client, url)
    with zipfile.ZipFile(io.BytesIO(template)) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        replace = {name: attacks.xxe(zf.read(name)) for name in sheets}
        replace["xl/sharedStrings.xml"] = (
            attacks.xxe(zf.read("xl/sharedStrings.xml")) if ("xl/sharedStrings.xml" in zf.namelist()) else b""
        )
    body = _refused(_upload(client, url, attacks.rezip(template, replace), "xxe.xlsx", XLSX), (400, 415, 422))
    assert body["error"] == "unsafe_file" and "root:" not in str(body)
    assert _versions(rel, hospital) == before


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "a\x00.csv",
        "/dev/zero",
        "CON.csv",
        "x" * 1000 + ".csv",
    ],
)
def test_path_tricks_in_file_names_are_harmless(rel, hz, name):
    _hospital, client, url = hz
    data = attacks.csv_file([("TST-2009-I.1", 9, 100, "文件名测试")])
    response = _upload(client, url, data, name=name)
    assert response.status_code < 500
    assert "passwd" not in response.text and "win.ini" not in response.text  # never echoed
    if response.status_code == 200:
        FIGURES["stored"] += 1
    else:
        _refused(response, (400, 415, 422))


def test_zz_write_upload_attack_figures():
    write_artifact("input_attacks_files", dict(FIGURES))
