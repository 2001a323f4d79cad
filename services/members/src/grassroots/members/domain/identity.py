"""Chinese resident ID numbers (GB 11643), phone numbers, and how ID numbers are masked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import mul
from typing import Literal

Gender = Literal["male", "female"]

# ISO 7064 MOD 11-2 weights for the 17 body digits, and the check character for each remainder.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_EARLIEST_BIRTH = date(1900, 1, 1)


class IdentityError(ValueError):
    """An ID number or phone number is not acceptable; `field` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class IdNumberFacts:
    """What an ID number says about its holder."""

    region_code: str
    birth_date: date
    gender: Gender


def check_digit(body: str) -> str:
    """The MOD 11-2 check character of the first 17 digits."""
    total = sum(map(mul, map(int, body), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def parse_id_number(value: str, *, today: date | None = None) -> IdNumberFacts:
    """Validate an 18-character ID number and return its facts, or raise IdentityError."""
    number = value.strip().upper()
    if len(number) != 18:
        raise IdentityError("id_number", "an ID number has 18 characters")
    if not _ID_SHAPE.match(number):
        raise IdentityError("id_number", "17 digits followed by a digit or X")
    if number[:2] == "00":
        raise IdentityError("id_number", "the region code names no province")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdentityError("id_number", f"impossible birth date {number[6:14]}") from exc
    if born < _EARLIEST_BIRTH or born > (today or date.today()):
        raise IdentityError("id_number", f"birth date {born.isoformat()} is out of range")
    if check_digit(number[:17]) != number[17]:
        raise IdentityError("id_number", "wrong check digit")
    gender: Gender = "male" if int(number[16]) % 2 else "female"
    return IdNumberFacts(region_code=number[:6], birth_date=born, gender=gender)


def normalise_id_number(value: str) -> str:
    """Upper-case, trimmed form (a lower-case x check character becomes X)."""
    return value.strip().upper()


def check_agreement(facts: IdNumberFacts, *, gender: str | None, birth_date: date | None) -> None:
    """Raise IdentityError when a stated gender or birth date contradicts the ID number."""
    if gender is not None and gender != facts.gender:
        raise IdentityError("gender", f"the ID number says {facts.gender}")
    if birth_date is not None and birth_date != facts.birth_date:
        raise IdentityError("birth_date", f"the ID number says {facts.birth_date.isoformat()}")


def normalise_phone(value: str) -> str:
    """A mainland mobile number as 11 digits (spaces, dashes and +86 dropped), or raise."""
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE.match(digits):
        raise IdentityError("phone", "a mainland mobile number has 11 digits starting 13-19")
    return digits


def mask_id_number(number: str) -> str:
    """`230321********1234`: region code and last four only."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def age_on(birth_date: date, day: date) -> int:
    """Completed years of age on `day`."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def make_id_number(born: date, serial: int, *, female: bool = False, region: str = "230321") -> str:
    """A well-formed number for demo and test data: region, birth date, serial, check digit."""
    sequence = (serial * 2) % 1000 + (0 if female else 1)
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + check_digit(body)
