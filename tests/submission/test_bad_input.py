"""The bad-input table: JSON bodies as a client would send them. Each is refused with the exact
error and problem codes, and nothing is written."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.submission.schemas import SubmissionIn
from services.submission.service import submit
from tests.submission.conftest import QUARTER
from tests.submission.support import as_app, counts, indicator_id, submitter


def val(code="NIT-2023-I.1", num=1, den=2, **extra):
    return {"indicator": code, "numerator": num, "denominator": den, **extra}


IV = lambda a, b, c, d=(1000, 1000, 1000): [  # noqa: E731
    val("NIT-2023-IV.1", a, d[0]),
    val("NIT-2023-IV.2", b, d[1]),
    val("NIT-2023-IV.3", c, d[2]),
]

CASES = [
    ("values_missing", {}, "invalid_payload", ["missing"]),
    ("values_empty", {"values": []}, "invalid_payload", ["too_short"]),
    ("values_not_a_list", {"values": "NIT-2023-I.1=1/2"}, "invalid_payload", ["list_type"]),
    ("unknown_top_level_field", {"values": [val()], "hospital": 1}, "invalid_payload", ["extra_forbidden"]),
    ("unknown_value_field", {"values": [val(rate=0.5)]}, "invalid_payload", ["extra_forbidden"]),
    ("numerator_text", {"values": [val(num="abc")]}, "invalid_payload", ["value_error"]),
    ("numerator_fraction", {"values": [val(num=1.5)]}, "invalid_payload", ["value_error"]),
    ("numerator_boolean", {"values": [val(num=True)]}, "invalid_payload", ["value_error"]),
    # one contract on every channel: a count is a JSON integer, never a string or a float in disguise
    ("numerator_digits_in_quotes", {"values": [val(num="45")]}, "invalid_payload", ["value_error"]),
    ("denominator_padded_string", {"values": [val(den=" 12 ")]}, "invalid_payload", ["value_error"]),
    ("numerator_whole_float", {"values": [val(num=3.0)]}, "invalid_payload", ["value_error"]),
    ("denominator_exponent", {"values": [val(den=1e3)]}, "invalid_payload", ["value_error"]),
    ("numerator_null", {"values": [val(num=None)]}, "invalid_payload", ["value_error"]),
    ("indicator_missing", {"values": [{"numerator": 1, "denominator": 2}]}, "invalid_payload", ["missing"]),
    ("indicator_empty", {"values": [val(code="")]}, "invalid_payload", ["string_too_short"]),
    ("comment_too_long", {"values": [val(comment="长" * 2001)]}, "invalid_payload", ["string_too_long"]),
    ("negative_numerator", {"values": [val(num=-1)]}, "validation_failed", ["negative_count"]),
    ("negative_denominator", {"values": [val(num=0, den=-5)]}, "validation_failed", ["negative_count"]),
    ("count_too_large", {"values": [val(num=1, den=2**31)]}, "validation_failed", ["count_too_large"]),
    (
        "numerator_above_denominator",
        {"values": [val(num=3, den=2)]},
        "validation_failed",
        ["numerator_above_denominator"],
    ),
    (
        "numerator_without_cases",
        {"values": [val(num=3, den=0)]},
        "validation_failed",
        ["numerator_without_denominator"],
    ),
    ("unknown_indicator", {"values": [val(code="NIT-2099-I.1")]}, "validation_failed", ["unknown_indicator"]),
    (
        "previous_year_code_renamed",
        {"values": [val(code="NIT-2022-VI.2")]},
        "validation_failed",
        ["indicator_renamed"],
    ),
    (
        "previous_year_code_retired",
        {"values": [val(code="NIT-2022-VI.1")]},
        "validation_failed",
        ["retired_indicator"],
    ),
    ("duplicate_indicator", {"values": [val(), val(num=2)]}, "validation_failed", ["duplicate_indicator"]),
    (
        "surgery_deaths_out_of_order",
        {"values": IV(3, 2, 1)},
        "validation_failed",
        ["cross_indicator_order", "cross_indicator_order"],
    ),
    (
        "surgery_denominators_differ",
        {"values": IV(1, 2, 3, (1000, 999, 1000))},
        "validation_failed",
        ["denominator_mismatch"],
    ),
    (
        "bundle_3h_above_6h",
        {"values": [val("NIT-2023-VIII.1", 8, 10), val("NIT-2023-VIII.2", 7, 10)]},
        "validation_failed",
        ["cross_indicator_order"],
    ),
    (
        "not_applicable_indicator",
        {"values": [val("PIT-2023-90.1", 1, 100)]},
        "validation_failed",
        ["not_applicable"],
    ),
    (
        "every_problem_at_once",
        {
            "values": [
                val(num=-1),
                val("NIT-2099-I.1"),
                val("NIT-2023-VIII.1", 3, 2),
                val("NIT-2023-VIII.1", 1, 2),
            ]
        },
        "validation_failed",
        ["duplicate_indicator", "negative_count", "numerator_above_denominator", "unknown_indicator"],
    ),
]


def attempt(session, hospital_id, body) -> tuple[str, list[str]]:
    try:
        payload = SubmissionIn.model_validate(body)
    except ValidationError as exc:
        return "invalid_payload", [e["type"] for e in exc.errors()]
    try:
        submit(
            session,
            submitter(hospital_id),
            hospital_id=hospital_id,
            quarter=Quarter.parse(QUARTER),
            values=payload.values,
            reason=payload.reason,
            source="api",
        )
    except ValidationFailed as exc:
        return exc.code, sorted(p["code"] for p in exc.problems)
    return "accepted", []


@pytest.mark.parametrize(("name", "body", "error", "problems"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_nothing_is_written(owner_session, world, name, body, error, problems):
    owner_session.execute(
        text(
            "INSERT INTO indicator_applicability (province_code, hospital_id, goal_id, indicator_id, status,"
            " reason, set_by) SELECT '330000', :h, goal_id, id, 'not_applicable', '本院无该专科', 'tests'"
            " FROM indicators WHERE id = :i"
        ),
        {"h": world.zj, "i": indicator_id(owner_session, "PIT-2023-90.1")},
    )
    before = counts(owner_session, world.zj)
    as_app(owner_session, submitter(world.zj))
    assert attempt(owner_session, world.zj, body) == (error, sorted(problems))
    assert counts(owner_session, world.zj) == before
    assert before["submissions"] == 0


def test_the_table_has_at_least_twenty_cases():
    assert len(CASES) >= 20


def test_problems_name_indicator_field_and_fix_in_both_languages(owner_session, world):
    as_app(owner_session, submitter(world.zj))
    with pytest.raises(ValidationFailed) as err:
        submit(
            owner_session,
            submitter(world.zj),
            hospital_id=world.zj,
            quarter=Quarter.parse(QUARTER),
            values=SubmissionIn.model_validate({"values": [val(num=3, den=2)]}).values,
            source="api",
        )
    [p] = err.value.problems
    assert p["indicator"] == "NIT-2023-I.1" and p["field"] == "numerator" and p["index"] == 0
    assert " / " in p["problem"] and " / " in p["fix"]
