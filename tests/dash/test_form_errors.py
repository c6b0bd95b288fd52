"""Form refusals read as the page's language: field labels and problems in Chinese first."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dash_app.form_errors import problems_of
from services.registry.schemas import HospitalCreate, MembershipCreate

GOOD = dict(
    credit_code="12330000470051726F", name="测试医院", level="三级", grade="甲等", type="综合",
    prefecture_code="330100", beds=10,
)  # fmt: skip


def refused(model, **values) -> list[str]:  # noqa: ANN001
    with pytest.raises(ValidationError) as caught:
        model(**values)
    return [p["problem"] for p in problems_of(caught.value)]


def test_negative_beds_names_the_bound_in_chinese_first() -> None:
    assert refused(HospitalCreate, **{**GOOD, "beds": -5}) == ["床位数：不能小于 0 / beds: must be ≥ 0"]


def test_a_missing_field_is_named_by_its_label() -> None:
    values = {k: v for k, v in GOOD.items() if k != "beds"}
    assert refused(HospitalCreate, **values) == ["床位数：必填 / beds: required"]


def test_text_where_a_number_belongs_and_a_bad_date() -> None:
    assert refused(HospitalCreate, **{**GOOD, "beds": "many"}) == [
        "床位数：须为整数 / beds: must be a whole number"
    ]
    assert refused(MembershipCreate, hospital_id=1, valid_from="2023-13-01") == [
        "加入日期：须为日期 YYYY-MM-DD / member from: must be a date YYYY-MM-DD"
    ]
