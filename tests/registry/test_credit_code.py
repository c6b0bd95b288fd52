from __future__ import annotations

import pytest

from services.registry.credit_code import ALPHABET, CreditCodeError, check_character, is_valid, validate

CANONICAL = "91350100M000100Y43"  # GB 32100-2015's worked example


def test_canonical_example_check_character_by_hand():
    # 9·1 + 1·3 + 3·9 + 5·27 + 0·19 + 1·26 + 0·16 + 0·17 + M(21)·20 + 0·29 + 0·25 + 0·13 + 1·8 + 0·24
    # + 0·10 + Y(30)·30 + 4·28 = 1640; 1640 mod 31 = 28; 31 − 28 = 3.
    assert 9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 == 1640
    assert 31 - 1640 % 31 == 3
    assert check_character(CANONICAL[:17]) == "3"
    assert validate(CANONICAL) == CANONICAL


def test_check_value_31_maps_to_zero():
    # Σ ≡ 0 (mod 31) → 31 − 0 = 31 → '0'. "00000000000000000" sums to 0.
    assert check_character("0" * 17) == "0"
    assert is_valid("0" * 18)


def test_normalises_lower_case_and_spaces():
    assert validate(" 91350100m000100y43 ") == CANONICAL
    assert validate("9135 0100 M000 100Y 43") == CANONICAL


@pytest.mark.parametrize("code, length", [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("", 0)])
def test_rejects_wrong_length_naming_it(code, length):
    with pytest.raises(CreditCodeError, match=f"18 characters, got {length}"):
        validate(code)


def test_rejects_forbidden_letter_naming_its_position():
    with pytest.raises(CreditCodeError, match="'O' at position 10") as info:
        validate("91350100MO00100Y43")
    assert info.value.position == 10


def test_rejects_letter_in_area_code_positions():
    with pytest.raises(CreditCodeError, match="position 4 must be a digit"):
        validate("913A0100M000100Y43")


def test_rejects_wrong_check_character_with_expected_value():
    with pytest.raises(CreditCodeError, match="expected 3, got 4") as info:
        validate("91350100M000100Y44")
    assert info.value.position == 18


def test_every_single_character_substitution_is_detected():
    # 31 is prime and no weight is a multiple of 31, so any one changed character changes the sum mod 31.
    for index in [0, 1, *range(8, 17)]:
        for ch in ALPHABET:
            if ch != CANONICAL[index]:
                assert not is_valid(CANONICAL[:index] + ch + CANONICAL[index + 1 :]), (index, ch)
