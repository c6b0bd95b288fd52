"""Pure rules, each with a good and a bad case."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services.core.errors import ValidationFailed
from services.core.quarter import Quarter
from services.submission.plausibility import denominator_jump, rate_outlier
from services.submission.schemas import ValueIn
from services.submission.validation import (
    Counts,
    IndicatorInfo,
    check_applicable,
    check_counts,
    check_cross_rules,
    check_duplicates,
    check_indicator,
    check_quarter,
    check_reason,
    parse_quarter,
    refuse,
)


def v(code="NIT-2023-I.1", num=1, den=2):
    return ValueIn(indicator=code, numerator=num, denominator=den)


def info(code="NIT-2022-VI.2", year=2022, kind="proportion"):
    return IndicatorInfo(
        id=1, code=code, year=year, goal_id=1, goal_code=code.split(".")[0], goal_list="national", kind=kind
    )


def codes(problems):
    return [p.code for p in problems]


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        (0, 0, []),
        (3, 10, []),
        (10, 10, []),
        (-1, 10, ["negative_count"]),
        (1, -10, ["negative_count"]),
        (-1, -1, ["negative_count", "negative_count"]),
        (11, 10, ["numerator_above_denominator"]),
        (1, 0, ["numerator_without_denominator"]),
        (2**31, 2**31, ["count_too_large", "count_too_large"]),
    ],
)
def test_counts_of_a_proportion(num, den, expected):
    assert codes(check_counts(v(num=num, den=den), "proportion")) == expected


def test_a_rate_may_have_a_numerator_above_its_denominator():
    assert check_counts(v(num=30, den=10), "rate") == []
    assert codes(check_counts(v(num=3, den=0), "rate")) == ["numerator_without_denominator"]


def test_schema_refuses_booleans_fractions_and_unknown_fields():
    with pytest.raises(ValidationError):
        ValueIn(indicator="X", numerator=True, denominator=2)
    with pytest.raises(ValidationError):
        ValueIn(indicator="X", numerator=1.5, denominator=2)
    with pytest.raises(ValidationError):
        ValueIn.model_validate({"indicator": "X", "numerator": 1, "denominator": 2, "rate": 0.5})
    with pytest.raises(ValidationError):  # digits in quotes are text, not a count
        ValueIn(indicator="X", numerator="3", denominator=4)
    assert ValueIn(indicator="X", numerator=3, denominator=4).numerator == 3


def test_duplicates_in_one_batch():
    assert check_duplicates([v("A"), v("B")]) == []
    dup = check_duplicates([v("A"), v("B"), v("A")])
    assert codes(dup) == ["duplicate_indicator"] and dup[0].indicator == "A" and dup[0].index == 2


def test_indicator_of_the_quarters_catalog_year():
    assert check_indicator("NIT-2023-I.1", info("NIT-2023-I.1", 2023), 2023, None) == []
    assert codes(check_indicator("NOPE", None, 2023, None)) == ["unknown_indicator"]


def test_old_code_names_its_successor():
    [p] = check_indicator("NIT-2022-VI.2", info(), 2023, "NIT-2023-VIII.1")
    assert p.code == "indicator_renamed" and "NIT-2023-VIII.1" in p.fix


def test_retired_code_says_retired():
    [p] = check_indicator("NIT-2022-VI.1", info("NIT-2022-VI.1"), 2023, "retired")
    assert p.code == "retired_indicator" and "已停用" in p.fix and "retired" in p.fix


def test_quarter_format_and_future_quarters():
    assert parse_quarter("2023q2") == Quarter(2023, 2)
    with pytest.raises(ValidationFailed) as err:
        parse_quarter("2023-Q2")
    assert err.value.problems[0]["code"] == "bad_quarter"
    assert check_quarter(Quarter(2023, 2), date(2023, 7, 1)) == []
    assert codes(check_quarter(Quarter(2023, 3), date(2023, 6, 30))) == ["future_quarter"]


def test_not_applicable_indicator_is_refused():
    assert check_applicable("X", None) == []
    [p] = check_applicable("X", "本院无手术科室")
    assert p.code == "not_applicable" and "本院无手术科室" in p.problem


def test_correction_needs_a_reason():
    assert check_reason([], None) == []
    assert check_reason(["A"], "fixed a typo") == []
    assert codes(check_reason(["A"], "  ")) == ["reason_required"]


SURGERY_OK = {
    "NIT-2023-IV.1": Counts(1, 100),
    "NIT-2023-IV.2": Counts(2, 100),
    "NIT-2023-IV.3": Counts(2, 100),
}


def test_surgery_deaths_must_grow_with_the_horizon():
    assert check_cross_rules(SURGERY_OK) == []
    bad = {**SURGERY_OK, "NIT-2023-IV.3": Counts(1, 100)}
    [p] = check_cross_rules(bad)
    assert p.code == "cross_indicator_order" and p.indicator == "NIT-2023-IV.2"


def test_surgery_deaths_share_one_denominator():
    bad = {**SURGERY_OK, "NIT-2023-IV.2": Counts(2, 99)}
    assert codes(check_cross_rules(bad)) == ["denominator_mismatch"]


def test_six_hour_bundle_at_least_the_three_hour_one():
    assert check_cross_rules({"NIT-2023-VIII.1": Counts(5, 10), "NIT-2023-VIII.2": Counts(7, 10)}) == []
    assert codes(check_cross_rules({"NIT-2023-VIII.1": Counts(8, 10), "NIT-2023-VIII.2": Counts(7, 10)})) == [
        "cross_indicator_order"
    ]
    # different denominators compare rates: 8/20 = 0.4 ≤ 7/10
    assert check_cross_rules({"NIT-2023-VIII.1": Counts(8, 20), "NIT-2023-VIII.2": Counts(7, 10)}) == []


def test_2022_three_hour_bundle_at_least_the_one_hour_one():
    assert check_cross_rules({"NIT-2022-VI.1": Counts(3, 10), "NIT-2022-VI.2": Counts(3, 10)}) == []
    assert codes(check_cross_rules({"NIT-2022-VI.1": Counts(4, 10), "NIT-2022-VI.2": Counts(3, 10)})) == [
        "cross_indicator_order"
    ]


def test_rules_skip_indicators_not_reported_and_no_cases():
    assert check_cross_rules({"NIT-2023-VIII.1": Counts(5, 10)}) == []
    assert check_cross_rules({"NIT-2023-VIII.1": Counts(5, 10), "NIT-2023-VIII.2": Counts(0, 0)}) == []


def test_refuse_lists_every_problem_at_once():
    refuse([])
    problems = check_counts(v(num=-1, den=-1), "proportion") + check_duplicates([v("A"), v("A")])
    with pytest.raises(ValidationFailed) as err:
        refuse(problems)
    assert len(err.value.problems) == 3 and "nothing was saved" in err.value.detail


def test_denominator_jump_warning():
    assert denominator_jump("X", Counts(5, 120), Counts(5, 100)) == []
    assert [w.code for w in denominator_jump("X", Counts(5, 1000), Counts(5, 100))] == ["denominator_jump"]
    assert [w.code for w in denominator_jump("X", Counts(0, 10), Counts(5, 100))] == ["denominator_jump"]
    assert denominator_jump("X", Counts(0, 0), Counts(5, 100)) == []


def test_rate_outlier_warning_needs_three_quarters_of_history():
    history = [Counts(10, 100), Counts(11, 100), Counts(9, 100)]
    assert rate_outlier("X", Counts(10, 100), history) == []
    assert [w.code for w in rate_outlier("X", Counts(60, 100), history)] == ["rate_outlier"]
    assert rate_outlier("X", Counts(60, 100), history[:2]) == []


def test_successor_comes_from_catalog_lineage(owner_session):
    from services.submission.ports import successor_of
    from tests.submission.support import ensure_catalog

    ensure_catalog(owner_session)
    assert successor_of(owner_session, "NIT-2022-VI.2", 2023) == "NIT-2023-VIII.1"
    assert successor_of(owner_session, "NIT-2022-VI.1", 2023) == "retired"
