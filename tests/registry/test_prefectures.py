from __future__ import annotations

import pytest

from services.registry.prefectures import (
    PrefectureError,
    prefecture_name,
    prefectures_of,
    validate_prefecture,
)


def test_demo_provinces_have_their_real_prefecture_counts():
    assert len(prefectures_of("330000")) == 11
    assert len(prefectures_of("440000")) == 21
    assert len(prefectures_of("510000")) == 21


@pytest.mark.parametrize(
    "code, name",
    [
        ("330100", "杭州市"),
        ("331100", "丽水市"),
        ("441900", "东莞市"),
        ("445300", "云浮市"),
        ("513400", "凉山彝族自治州"),
    ],
)
def test_names_come_from_the_data_file(code, name):
    assert prefecture_name(code) == name


@pytest.mark.parametrize(
    "province, code",
    [
        ("330000", "330100"),
        ("440000", "440300"),
        ("320000", "320100"),
        ("110000", "110100"),
        ("500000", "500200"),
        ("420000", "429000"),
    ],
)
def test_accepts_prefectures_inside_the_province(province, code):
    assert validate_prefecture(province, code) == code


@pytest.mark.parametrize(
    "province, code, message",
    [
        ("330000", "440100", "first two digits must be 33"),
        ("330000", "330000", "not a prefecture-level code"),
        ("330000", "330106", "not a prefecture-level code"),
        ("330000", "331200", "not one of the 11 prefectures of 330000"),
        ("510000", "510200", "not one of the 21 prefectures of 510000"),
        ("110000", "110300", "municipality"),
        ("330000", "33A100", "must be 6 digits"),
    ],
)
def test_rejects_codes_outside_the_province(province, code, message):
    with pytest.raises(PrefectureError, match=message):
        validate_prefecture(province, code)
