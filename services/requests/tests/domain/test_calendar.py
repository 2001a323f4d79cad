"""Due times on China's working-day calendar, overrides and the Monday–Friday fallback."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from grassroots.contracts.timezone import platform_zone
from grassroots.requests.domain.calendar import WorkCalendar, due_at
from grassroots.requests.domain.durations import parse_limit
from grassroots.requests.domain.tracking import (
    ALPHABET,
    new_tracking_code,
    normalise_tracking_code,
)

CHINA = platform_zone()


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CHINA)


def test_national_day_week_is_skipped_and_the_make_up_saturday_counts() -> None:
    # 2025: 1-8 October are holidays; Saturday 11 October is a make-up working day.
    calendar = WorkCalendar()
    assert not calendar.is_workday(date(2025, 10, 1))
    assert calendar.is_workday(date(2025, 10, 11))
    due = due_at(local(2025, 9, 30, 10), timedelta(days=3), "workdays", calendar)
    # 14 h of 30 Sep, all of 9 and 10 Oct, then 10 h of the make-up Saturday.
    assert due == local(2025, 10, 11, 10)


def test_natural_days_ignore_the_holidays() -> None:
    due = due_at(local(2025, 9, 30, 10), timedelta(days=3), "natural", WorkCalendar())
    assert due == local(2025, 10, 3, 10)


def test_a_request_made_on_a_holiday_starts_counting_on_the_next_working_day() -> None:
    due = due_at(local(2025, 10, 3, 15), timedelta(hours=4), "workdays", WorkCalendar())
    assert due == local(2025, 10, 9, 4)


def test_the_answer_is_in_the_input_zone() -> None:
    received = local(2025, 9, 30, 10).astimezone(UTC)
    due = due_at(received, timedelta(days=1), "workdays", WorkCalendar())
    assert due.tzinfo is UTC
    assert due == local(2025, 10, 9, 10)


def test_a_year_without_data_falls_back_to_monday_to_friday_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkCalendar()
    assert not calendar.covers(2031)
    with caplog.at_level(logging.WARNING):
        # Friday 2031-01-03 at 09:00 plus two working days: Monday and Tuesday.
        due = due_at(local(2031, 1, 3, 9), timedelta(days=2), "workdays", calendar)
    assert due == local(2031, 1, 7, 9)
    assert any(
        "2031" in r.getMessage() and "Monday-Friday" in r.getMessage() for r in caplog.records
    )


def test_an_operator_override_rules_its_year() -> None:
    # An operator loads 2031: 1 January a holiday, Sunday 5 January a make-up working day.
    calendar = WorkCalendar({date(2031, 1, 1): False, date(2031, 1, 5): True})
    assert calendar.covers(2031)
    assert not calendar.is_workday(date(2031, 1, 1))
    assert calendar.is_workday(date(2031, 1, 5))
    assert not calendar.is_workday(date(2031, 1, 4))
    due = due_at(local(2031, 1, 1, 9), timedelta(days=2), "workdays", calendar)
    # 1 Jan is a rest day: count Thursday 2 and Friday 3.
    assert due == local(2031, 1, 4, 0)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        due_at(datetime(2025, 1, 1), timedelta(days=1), "workdays", WorkCalendar())


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PT4H", timedelta(hours=4)), ("P5D", timedelta(days=5)), ("P1DT12H", timedelta(hours=36))],
)
def test_limits_parse(text: str, expected: timedelta) -> None:
    assert parse_limit(text) == expected


@pytest.mark.parametrize("text", ["5D", "P1M", "P1Y", "PT0S", "P400D", "soon"])
def test_bad_limits_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must"):
        parse_limit(text)


def test_tracking_codes_are_readable_and_random() -> None:
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert len(set(ALPHABET)) == 32  # one symbol per five random bits
    # Every symbol turns up, each about as often as the others.
    counts = Counter("".join(codes).replace("-", ""))
    assert set(counts) == set(ALPHABET)
    assert max(counts.values()) < 2 * min(counts.values())
    for code in list(codes)[:50]:
        assert len(code) == 11 and code[5] == "-"
        assert set(code.replace("-", "")) <= set(ALPHABET)
        assert not set(code) & set("ILOU")


def test_what_a_citizen_types_is_normalised() -> None:
    code = "7KQ2M-XH9TD"
    assert normalise_tracking_code("7kq2m xh9td") == code
    assert normalise_tracking_code("7KQ2MXH9TD") == code
    assert normalise_tracking_code("7KQ2M-XH9TO") == "7KQ2M-XH9T0"
    assert normalise_tracking_code("short") is None
