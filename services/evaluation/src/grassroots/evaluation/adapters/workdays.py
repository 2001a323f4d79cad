"""Working days in China from the `chinesecalendar` package (Monday-Friday where it has no year)."""

from __future__ import annotations

from datetime import date

import chinese_calendar


def is_workday(day: date) -> bool:
    """True on a working day (statutory holidays and make-up days included)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5
