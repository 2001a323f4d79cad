"""The personal-data scanner used on every event of the suite can actually find leaks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from grassroots.members.domain.identity import make_id_number

Scanner = Callable[[bytes], list[bytes]]


def test_the_scanner_finds_an_id_number_and_a_phone(scan_for_personal_data: Scanner) -> None:
    number = make_id_number(date(1980, 1, 2), 7)
    payload = (
        f'{{"member_id":"0193a000-0000-7000-8000-000000000001","x":"{number}","p":"13912345678"}}'
    )
    assert scan_for_personal_data(payload.encode()) == [number.encode(), b"13912345678"]


def test_the_scanner_ignores_ids_codes_and_times(scan_for_personal_data: Scanner) -> None:
    payload = (
        b'{"id":"0193a000-0000-7000-8000-139123456780","areacode":"230321100201",'
        b'"time":"2026-11-22T21:51:21.542748+00:00","version":13912345678901}'
    )
    assert scan_for_personal_data(payload) == []
