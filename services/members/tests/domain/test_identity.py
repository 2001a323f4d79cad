"""The ID number validator, phone normalisation and masking (pure domain)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.members.domain.identity import (
    IdentityError,
    age_on,
    check_agreement,
    check_digit,
    make_id_number,
    mask_id_number,
    normalise_phone,
    parse_id_number,
)

# The worked example of GB 11643-1999 (a published specimen, not a person's number).
SPECIMEN = "11010519491231002X"


def test_a_valid_number_gives_birth_date_and_gender() -> None:
    facts = parse_id_number(SPECIMEN)
    assert facts.birth_date == date(1949, 12, 31)
    assert facts.gender == "female"
    assert facts.region_code == "110105"


def test_a_lower_case_x_is_accepted() -> None:
    assert parse_id_number(SPECIMEN.lower()).gender == "female"


def test_a_wrong_check_digit_is_refused() -> None:
    wrong = SPECIMEN[:17] + "1"
    with pytest.raises(IdentityError, match="check digit") as caught:
        parse_id_number(wrong)
    assert caught.value.field == "id_number"


@pytest.mark.parametrize("birth", ["19490230", "20011301", "19000000"])
def test_an_impossible_date_is_refused(birth: str) -> None:
    body = "110105" + birth + "002"
    with pytest.raises(IdentityError, match="impossible birth date"):
        parse_id_number(body + check_digit(body))


def test_a_birth_date_in_the_future_is_refused() -> None:
    number = make_id_number(date(2030, 1, 1), 5)
    with pytest.raises(IdentityError, match="out of range"):
        parse_id_number(number, today=date(2026, 11, 22))


@pytest.mark.parametrize(
    "bad", ["1234", "11010519491231002Y", "1101051949123100211", "A1010519491231002X"]
)
def test_malformed_numbers_are_refused(bad: str) -> None:
    with pytest.raises(IdentityError):
        parse_id_number(bad)


def test_gender_and_birth_date_must_agree_with_the_number() -> None:
    facts = parse_id_number(SPECIMEN)
    check_agreement(facts, gender="female", birth_date=date(1949, 12, 31))
    with pytest.raises(IdentityError) as caught:
        check_agreement(facts, gender="male", birth_date=None)
    assert caught.value.field == "gender"
    with pytest.raises(IdentityError) as caught:
        check_agreement(facts, gender=None, birth_date=date(1950, 1, 1))
    assert caught.value.field == "birth_date"


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    serial=st.integers(min_value=0, max_value=499),
    female=st.booleans(),
)
def test_generated_numbers_round_trip(born: date, serial: int, female: bool) -> None:
    facts = parse_id_number(make_id_number(born, serial, female=female))
    assert facts.birth_date == born
    assert facts.gender == ("female" if female else "male")


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    serial=st.integers(min_value=0, max_value=499),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_is_caught(
    born: date, serial: int, position: int, delta: int
) -> None:
    number = make_id_number(born, serial)
    digit = (int(number[position]) + delta) % 10
    altered = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(IdentityError):
        parse_id_number(altered)


def test_masking() -> None:
    assert mask_id_number("230321198001011234") == "230321********1234"


@pytest.mark.parametrize("raw", ["138 1234 5678", "+86 138-1234-5678", "008613812345678"])
def test_phones_are_normalised(raw: str) -> None:
    assert normalise_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "0451-1234567"])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(IdentityError):
        normalise_phone(raw)


def test_age_counts_completed_years() -> None:
    assert age_on(date(1980, 6, 15), date(2026, 6, 14)) == 45
    assert age_on(date(1980, 6, 15), date(2026, 6, 15)) == 46
