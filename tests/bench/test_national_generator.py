"""The national generator at a tiny scale: valid rows the platform's own checks accept, RLS intact."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import func, select

from services.core.actor import Actor, Role
from services.core.db import Database
from services.core.embedded import ServerUrls
from services.core.quarter import Quarter
from services.demo.national import NationalScale, libpq, load_national
from services.demo.national_registry import national_hospitals
from services.demo.national_values import hospital_arrays, quarter_values
from services.demo.values import IndicatorSpec
from services.models import Hospital, Submission, SubmissionValue
from services.registry import credit_code
from services.registry.prefectures import validate_prefecture
from services.submission import service
from services.submission.schemas import ValueIn
from services.submission.validation import Counts, check_counts, check_cross_rules
from tests.db import fresh_database

SCALE = NationalScale(hospitals=40, provinces=("110000", "330000"), quarters=2)
Q4 = Quarter(2023, 4)


@pytest.fixture(scope="module")
def national() -> Iterator[tuple[ServerUrls, object]]:
    with fresh_database("qcp_national_tiny") as urls:
        yield urls, load_national(urls.owner, SCALE, echo=lambda *_: None)


def _owner_rows(urls: ServerUrls, sql: str) -> list[tuple]:
    with psycopg.connect(libpq(urls.owner)) as conn:
        return conn.execute(sql).fetchall()


def test_loads_the_requested_scale_once(national) -> None:  # noqa: ANN001
    urls, result = national
    assert result.loaded and result.counts["hospitals"] == 40
    per_province = dict(_owner_rows(urls, "SELECT province_code, count(*) FROM hospitals GROUP BY 1"))
    assert set(per_province) == {"110000", "330000"} and all(n > 0 for n in per_province.values())
    assert _owner_rows(urls, "SELECT DISTINCT quarter FROM submissions ORDER BY 1") == [
        ("2023Q3",),
        ("2023Q4",),
    ]
    again = load_national(urls.owner, SCALE, echo=lambda *_: None)
    assert not again.loaded and again.hospitals["H001"] == result.hospitals["H001"]
    assert _owner_rows(urls, "SELECT count(*) FROM hospitals")[0][0] == 40


def test_registry_rows_pass_credit_code_and_prefecture_validation(national) -> None:  # noqa: ANN001
    urls, _ = national
    rows = _owner_rows(urls, "SELECT province_code, credit_code, prefecture_code FROM hospitals")
    for province, code, prefecture in rows:
        assert credit_code.validate(code) == code
        assert validate_prefecture(province, prefecture) == prefecture
    assert len({code for _, code, _ in rows}) == len(rows)


def test_every_stored_submission_passes_count_and_nesting_rules(national) -> None:  # noqa: ANN001
    urls, _ = national
    rows = _owner_rows(
        urls,
        "SELECT v.submission_id, i.code, i.kind, v.numerator, v.denominator FROM submission_values v"
        " JOIN indicators i ON i.id = v.indicator_id",
    )
    by_submission: dict[int, dict[str, Counts]] = {}
    for submission_id, code, kind, numerator, denominator in rows:
        assert check_counts(ValueIn(indicator=code, numerator=numerator, denominator=denominator), kind) == []
        by_submission.setdefault(submission_id, {})[code] = Counts(numerator, denominator)
    assert len(by_submission) > 30
    assert all(check_cross_rules(state) == [] for state in by_submission.values())


def test_generated_payload_is_accepted_by_submit(national) -> None:  # noqa: ANN001
    urls, result = national
    missing = _owner_rows(
        urls,
        "SELECT h.id, h.province_code, h.beds, h.type FROM hospitals h WHERE NOT EXISTS "
        "(SELECT 1 FROM submissions s WHERE s.hospital_id = h.id AND s.quarter = '2023Q4')"
        " ORDER BY h.id LIMIT 1",
    )
    hospital_id, province, beds, kind = missing[0]
    specs = [
        IndicatorSpec(c, y, k, d, m)
        for c, y, k, d, m in _owner_rows(
            urls,
            "SELECT code, year, kind, direction, multiplier FROM indicators WHERE year = 2023"
            " AND withdrawn_revision IS NULL ORDER BY id",
        )
    ]
    values = quarter_values(hospital_arrays([beds], [kind]), specs, Q4, 7)
    payload = [
        ValueIn(indicator=code, numerator=int(n[0]), denominator=int(d[0]))
        for code, (n, d, m) in values.items()
        if m[0]
    ]
    actor = Actor(
        subject="his", roles=frozenset({Role.HOSPITAL_SYSTEM}), province=province, hospital_id=hospital_id
    )
    database = Database.from_url(urls.app, pool_size=1)
    try:
        with database.unit_of_work(actor) as session:
            preview = service.submit(
                session,
                actor,
                hospital_id=hospital_id,
                quarter=Q4,
                values=payload,
                source="api",
                dry_run=True,
            )
    finally:
        database.dispose()
    assert preview.dry_run and len(preview.changed) == len(payload) > 10


def test_row_level_security_still_isolates_provinces(national) -> None:  # noqa: ANN001
    urls, _ = national
    database = Database.from_url(urls.app, pool_size=1)
    beijing = Actor(subject="a", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="110000")
    try:
        with database.unit_of_work(beijing) as session:
            provinces = set(session.scalars(select(Hospital.province_code).distinct()))
            value_provinces = set(session.scalars(select(SubmissionValue.province_code).distinct()))
        with database.unit_of_work(None) as session:
            unbound = session.scalar(select(func.count()).select_from(Submission))
    finally:
        database.dispose()
    assert provinces == {"110000"} and value_provinces == {"110000"}
    assert unbound == 0


def test_generation_is_deterministic() -> None:
    names = {"110000": "北京市", "330000": "浙江省"}
    first, second = national_hospitals(30, list(names), names), national_hospitals(30, list(names), names)
    assert first == second
    spec = [IndicatorSpec("NIT-2023-IV.3", 2023, "proportion", "lower", 100)]
    arrays = hospital_arrays([h.beds for h in first], [h.type for h in first])
    a, b = quarter_values(arrays, spec, Q4, 7), quarter_values(arrays, spec, Q4, 7)
    assert (a["NIT-2023-IV.3"][0] == b["NIT-2023-IV.3"][0]).all()
