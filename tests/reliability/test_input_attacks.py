"""Hostile input through real HTTP: every bad input is refused with a clear error or stored
harmlessly, and nothing already stored is lost (row counts before and after)."""

from __future__ import annotations

import json

import pytest

from services.core.actor import Role
from tests.reliability import attacks
from tests.reliability.conftest import QUARTER
from tests.reliability.support import actor, write_artifact
from tests.submission_io import builders

FIGURES = {"bad_inputs": 0, "refused": 0, "stored_verbatim": 0}
JSON = {"Content-Type": "application/json"}


def _counts(rel) -> dict[str, int]:  # noqa: ANN001
    return {t: rel.scalar(f"SELECT count(*) FROM {t}") for t in attacks.DATA_TABLES}


def _refused(response, status: int | tuple[int, ...], code: str | None = None) -> dict:  # noqa: ANN001
    FIGURES["bad_inputs"] += 1
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text[:500]
    body = response.json()
    assert body["detail"] and " / " in body["detail"]  # Chinese first, English second
    if code:
        assert body["error"] == code
    FIGURES["refused"] += 1
    return body


@pytest.fixture
def zj(rel, rel_api):  # noqa: ANN001
    """A fresh 330000 hospital with one accepted submission, and its submitter's client."""
    hospital = rel.add_hospital("330000", "攻击测试医院")
    client = rel_api.client_for(actor(Role.HOSPITAL_SUBMITTER, f"atk-{hospital}", "330000", hospital))
    url = f"/api/v1/hospitals/{hospital}/submissions/{QUARTER}"
    assert client.post(url, json=attacks.values_body("原始备注")).status_code == 200
    return hospital, client, url


def test_oversized_body_is_refused_before_it_is_read(rel, rel_api, zj):
    _hospital, client, url = zj
    before = _counts(rel)
    big = b'{"values": [' + b" " * (6 * 1024 * 1024) + b"]}"
    _refused(client.post(url, content=big, headers=JSON), 413, "request_too_large")

    def chunks():  # no Content-Length: the cap applies to the bytes as they arrive
        for _ in range(7):
            yield b" " * (1024 * 1024)

    _refused(client.post(url, content=chunks(), headers=JSON), 413, "request_too_large")
    assert _counts(rel) == before


@pytest.mark.parametrize("depth", [40, 1000, 200_000])
def test_deeply_nested_json_is_refused_with_400(rel, zj, depth):
    _hospital, client, url = zj
    before = _counts(rel)
    body = '{"values": ' + "[" * depth + "]" * depth + "}"
    _refused(client.post(url, content=body, headers=JSON), 400, "json_too_deep")
    assert _counts(rel) == before


@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e309", "-1e400", str(2**63), str(-(2**70)), "9" * 5000]
)
def test_non_finite_and_huge_numbers_are_refused_with_422(rel, zj, number):
    _hospital, client, url = zj
    before = _counts(rel)
    body = '{"values": [{"indicator": "TST-2009-I.1", "numerator": ' + number + ', "denominator": 100}]}'
    detail = _refused(client.post(url, content=body, headers=JSON), 422)["detail"]
    assert number[:20] in detail or "finite" in detail or "integer" in detail
    assert _counts(rel) == before


@pytest.mark.parametrize(
    "body",
    [
        '{"values": [{"indicator": "TST-2009-I.1", "numerator": 1, "numerator": 9, "denominator": 100}]}',
        '{"values": [{"indicator": "TST-2009-I.1", "numerator": 1, "denominator": 100}], "values": []}',
        '{"values": [{"indicator": "TST-2009-I.1", "numerator": 1, "denominator": 100, "comment": "a",'
        ' "comment": "b"}]}',
    ],
    ids=["count", "top_level", "comment"],
)
def test_a_duplicated_json_key_is_refused_not_resolved_last_one_wins(rel, zj, body):
    _hospital, client, url = zj
    before = _counts(rel)
    detail = _refused(client.post(url, content=body, headers=JSON), 422, "duplicate_key")["detail"]
    assert "twice" in detail and "两次" in detail
    assert _counts(rel) == before


@pytest.mark.parametrize("count", ['"45"', '" 12 "', "1e3", "3.0", "1.5", "true"])
def test_a_count_that_is_not_a_json_integer_is_refused_naming_the_field(rel, zj, count):
    _hospital, client, url = zj
    before = _counts(rel)
    body = '{"values": [{"indicator": "TST-2009-I.1", "numerator": ' + count + ', "denominator": 100}]}'
    answer = _refused(client.post(url, content=body, headers=JSON), 422, "invalid_payload")
    [problem] = answer["problems"]
    assert problem["field"] == "values.0.numerator" and "JSON 整数" in problem["problem"]
    assert _counts(rel) == before


def test_invalid_utf8_body_is_refused_with_400(rel, zj):
    _hospital, client, url = zj
    before = _counts(rel)
    body = b'{"values": [{"indicator": "TST-2009-I.1", "numerator": 1, "denominator": 2, "comment": "\xff\xfe"}]}'
    _refused(client.post(url, content=body, headers=JSON), 400, "invalid_encoding")
    gb = '{"values": [{"indicator": "TST-2009-I.1", "numerator": 1, "denominator": 2, "comment": "备注"}]}'
    _refused(client.post(url, content=gb.encode("gb18030"), headers=JSON), 400, "invalid_encoding")
    assert _counts(rel) == before


def _round_trip(client, url: str, text: str) -> None:  # noqa: ANN001
    version = client.get(url).headers["ETag"]
    sent = client.post(url, json=attacks.values_body(text, reason=text), headers={"If-Match": version})
    FIGURES["bad_inputs"] += 1
    assert sent.status_code == 200, sent.text[:300]
    stored = client.get(url).json()["values"][0]["comment"]
    history = client.get(url + "/history").json()
    assert stored == text and history[-1]["reason"] == text
    FIGURES["stored_verbatim"] += 1


def test_sql_and_formula_strings_in_submission_text_are_stored_verbatim(rel, zj):
    _hospital, client, url = zj
    for text in attacks.SQL_STRINGS + attacks.FORMULAS:
        _round_trip(client, url, text)
    assert rel.scalar(
        "SELECT count(*) FROM pg_tables WHERE tablename = ANY(:t)", t=list(attacks.DATA_TABLES)
    ) == len(attacks.DATA_TABLES)


def test_sql_strings_in_registry_and_review_text_are_stored_verbatim(rel, rel_api, zj):
    hospital, _client, url = zj
    admin = rel_api.client_for(actor(Role.PROVINCIAL_ADMIN, "atk-zj-admin", "330000"))
    national = rel_api.client_for(actor(Role.NATIONAL_ADMIN, "atk-nat-admin"))
    hospitals_before = rel.scalar("SELECT count(*) FROM hospitals")
    center = national.post(
        "/api/v1/qc-centers",
        json={"level": "provincial", "province_code": "330000", "name": attacks.SQL_STRINGS[1]},
    )
    assert center.status_code == 201, center.text[:300]
    assert center.json()["name"] == attacks.SQL_STRINGS[1]
    for n, text in enumerate(attacks.SQL_STRINGS):
        created = admin.post("/api/v1/hospitals", json=attacks.hospital_body(f"{text} {n}"))
        assert created.status_code == 201, created.text[:300]
        assert admin.get(f"/api/v1/hospitals/{created.json()['id']}").json()["name"] == f"{text} {n}"
        network = national.post(
            "/api/v1/networks",
            json={
                "qc_center_id": center.json()["id"],
                "kind": "custom",
                "name": f"{text} {n}",
                "description": text,
            },
        )
        assert network.status_code == 201, network.text[:300]
        assert national.get(f"/api/v1/networks/{network.json()['id']}").json()["description"] == text
        FIGURES["bad_inputs"] += 2
        FIGURES["stored_verbatim"] += 2
    returned = admin.post(url + "/return", json={"comment": attacks.SQL_STRINGS[0]})
    assert returned.status_code == 200 and returned.json()["review_comment"] == attacks.SQL_STRINGS[0]
    assert rel.scalar("SELECT count(*) FROM hospitals") == hospitals_before + len(attacks.SQL_STRINGS)
    assert rel.scalar("SELECT count(*) FROM submissions WHERE hospital_id = :h", h=hospital) == 1


def test_formula_text_is_neutralised_in_csv_exports(rel, rel_api):
    admin = rel_api.client_for(actor(Role.PROVINCIAL_ADMIN, "atk-fx-admin", "330000"))
    if not any("/benchmarks" in p for p in admin.get("/openapi.json").json()["paths"]):
        pytest.skip("the benchmark exports are not mounted")
    name = attacks.FORMULAS[0]
    created = admin.post("/api/v1/hospitals", json=attacks.hospital_body(name))
    assert created.status_code == 201
    hospital = created.json()["id"]
    submitter = rel_api.client_for(actor(Role.HOSPITAL_SUBMITTER, f"atk-fx-{hospital}", "330000", hospital))
    url = f"/api/v1/hospitals/{hospital}/submissions/{QUARTER}"
    assert submitter.post(url, json=attacks.values_body("=1+1")).status_code == 200
    assert admin.post(url + "/approve", json={"comment": "@SUM(A1)"}).status_code == 200
    export = admin.get(
        "/api/v1/benchmarks",
        params={"quarter": QUARTER, "scope": "province:330000", "format": "csv", "include_submitted": "true"},
    )
    assert export.status_code == 200, export.text[:300]
    text = export.content.decode("utf-8-sig")
    FIGURES["bad_inputs"] += 1
    assert "'" + name.replace('"', '""') in text  # the hospital's row is there, neutralised
    assert not any(
        line.startswith(tuple("=+-@")) or ",=" in line or ",@" in line for line in text.splitlines()
    )
    FIGURES["refused"] += 1


CSV_HEAD = "指标编码,分子,分母,备注\r\n"


def _upload(client, url: str, data: bytes, name: str, media: str):  # noqa: ANN001, ANN202
    return client.post(url + "/upload", files={"file": (name, data, media)})


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        ((CSV_HEAD + "TST-2009-I.1,5,100,备注,多出的一列\r\n").encode(), "too_many_fields", 2),
        (
            (CSV_HEAD + "TST-2009-I.2,1,10,ok\r\nTST-2009-I.1,5,100,50,60\r\n").encode() + b"x,y\r\n",
            "too_many_fields",
            3,
        ),
        (
            (CSV_HEAD + 'TST-2009-I.1,5,100,"never closed\r\nTST-2009-I.2,1,10,\r\n').encode(),
            "unterminated_quote",
            2,
        ),
        ((CSV_HEAD + 'TST-2009-I.1,5,100,"a"b\r\n').encode(), "malformed_csv", 2),
        (b"\xef\xbb\xbf" + CSV_HEAD.encode("gb18030"), "undecodable", 1),
        (
            b"\xef\xbb\xbf" + CSV_HEAD.encode() + "TST-2009-I.1,5,100,国标备注\r\n".encode("gb18030"),
            "undecodable",
            2,
        ),
    ],
    ids=[
        "extra-field",
        "extra-fields-line-3",
        "unterminated-quote",
        "text-after-quote",
        "bom-gb-header",
        "bom-gb-row",
    ],
)
def test_a_damaged_csv_is_refused_naming_the_line_and_nothing_is_stored(rel, zj, data, code, line):
    _hospital, client, url = zj
    before, values = _counts(rel), client.get(url).json()["values"]
    answer = _refused(_upload(client, url, data, "data.csv", "text/csv"), 422, "file_unreadable")
    assert [(p["code"], p["line"]) for p in answer["problems"]][:1] == [(code, line)]
    assert f"line {line}" in answer["detail"] or f"line(s) {line}" in answer["detail"]
    assert _counts(rel) == before and client.get(url).json()["values"] == values


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_WORKBOOKS = {
    "bad-crc": (lambda wb: builders.flip_byte(wb, builders.SHEET), "file_unreadable", "damaged"),
    "size-smaller": (
        lambda wb: builders.lie_about_sizes(wb, builders.SHEET, file_size=100),
        "file_unreadable",
        "damaged",
    ),
    "size-larger": (
        lambda wb: builders.lie_about_sizes(wb, builders.SHEET, file_size=len(wb) * 3),
        "file_unreadable",
        "declares",
    ),
    "size-huge": (
        lambda wb: builders.lie_about_sizes(wb, builders.SHEET, file_size=4_000_000_000),
        "unsafe_file",
        "declares 4000000000 bytes",
    ),
    "nan": (lambda wb: builders.with_number_cell(wb, "F4", "NaN"), "file_unreadable", "F4 = NaN"),
    "infinity": (
        lambda wb: builders.with_number_cell(wb, "G4", "Infinity"),
        "file_unreadable",
        "G4 = Infinity",
    ),
    "minus-inf": (
        lambda wb: builders.with_number_cell(wb, "F4", "-Infinity"),
        "file_unreadable",
        "not finite",
    ),
    "encrypted": (lambda wb: builders.encrypted_workbook(wb), "file_unreadable", "password-protected"),
}


@pytest.mark.parametrize("kind", list(BAD_WORKBOOKS))
def test_a_damaged_or_locked_xlsx_answers_a_fitting_4xx_and_nothing_is_stored(rel, zj, kind):
    _hospital, client, url = zj
    template = client.get(url + "/template.xlsx")
    assert template.status_code == 200, template.text[:300]
    workbook = builders.filled({"F4": 5, "G4": 100}, data=template.content)
    build, code, says = BAD_WORKBOOKS[kind]
    before, values = _counts(rel), client.get(url).json()["values"]
    answer = _refused(_upload(client, url, build(workbook), "data.xlsx", XLSX), 422, code)
    assert says in answer["detail"]
    assert "zip bomb" not in answer["detail"] and "legacy" not in answer["detail"]
    assert _counts(rel) == before and client.get(url).json()["values"] == values


VALUES_JSON = '{"values": [{"indicator": "TST-2009-I.1", "numerator": 9, "denominator": 100}]}'


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
        None,
    ],
)
def test_a_json_body_with_a_wrong_content_type_answers_415(rel, zj, content_type):
    _hospital, client, url = zj
    before, values = _counts(rel), client.get(url).json()["values"]
    headers = {"Content-Type": content_type} if content_type else {}
    answer = _refused(client.post(url, content=VALUES_JSON, headers=headers), 415, "unsupported_media_type")
    assert set(answer) == {"error", "detail", "content_type"}
    assert "application/json" in answer["detail"] and "须为 JSON" in answer["detail"]
    assert _counts(rel) == before and client.get(url).json()["values"] == values


def test_415_holds_on_other_json_operations_and_json_still_passes(rel, rel_api, zj):
    _hospital, client, url = zj
    admin = rel_api.client_for(actor(Role.PROVINCIAL_ADMIN, "atk-ct-admin", "330000"))
    before = _counts(rel)
    plain = {"Content-Type": "text/plain"}
    hospital = json.dumps(attacks.hospital_body("内容类型测试医院"), ensure_ascii=False)
    _refused(admin.post("/api/v1/hospitals", content=hospital, headers=plain), 415, "unsupported_media_type")
    _refused(
        admin.post(url + "/return", content='{"comment": "x"}', headers=plain), 415, "unsupported_media_type"
    )
    _refused(client.post(url, data={"values": "[]"}), 415, "unsupported_media_type")  # an HTML form
    assert _counts(rel) == before
    sent = client.post(url, content=VALUES_JSON, headers={"Content-Type": "application/json; charset=utf-8"})
    assert sent.status_code in (200, 422), sent.text[:300]  # JSON is read (a correction may need a reason)
    assert sent.json()["error"] != "unsupported_media_type" if sent.status_code != 200 else True
    paths = admin.get("/openapi.json").json()["paths"]
    assert "415" in paths["/api/v1/hospitals"]["post"]["responses"]


def test_zz_write_input_attack_figures():
    write_artifact("input_attacks_json", dict(FIGURES))
    assert FIGURES["bad_inputs"] > 0
