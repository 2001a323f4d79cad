"""Working days in China (statutory holidays, make-up working days) and due times on them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

from grassroots.contracts.timezone import platform_zone

log = logging.getLogger(__name__)

CalendarKind = Literal["workdays", "natural"]


class WorkCalendar:
    """Is a date a working day: operator overrides first, then the library, then Mon–Fri."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        # An override for any day of a year makes the operator's list authoritative for that year.
        self.overrides = dict(overrides or {})
        self.override_years = {day.year for day in self.overrides}
        self._warned: set[int] = set()
        self._known: dict[date, bool] = {}

    def is_workday(self, day: date) -> bool:
        """True when `day` is a working day (each day is worked out once per calendar)."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        if day.year in self.override_years:
            return self.overrides.get(day, day.weekday() < 5)
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning(
                    "no holiday calendar for %d: falling back to Monday-Friday until an "
                    "operator loads that year",
                    day.year,
                )
            return day.weekday() < 5

    def covers(self, year: int) -> bool:
        """True when the year has real holiday data (an override or the library's)."""
        if year in self.override_years:
            return True
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def next_workday(self, day: date) -> date:
        """The first working day after `day`."""
        candidate = day + timedelta(days=1)
        for _ in range(400):
            if self.is_workday(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError(f"no working day within a year after {day}")


def due_at(
    received_at: datetime,
    limit: timedelta,
    kind: CalendarKind,
    calendar: WorkCalendar,
    zone: ZoneInfo | None = None,
) -> datetime:
    """When a limit that starts at `received_at` runs out, in UTC.

    On `workdays` the clock runs only on working days (local dates in `zone`, by default the
    platform's): P5D is five working days, PT4H four hours of working days; a request received
    on a rest day starts counting at the start of the next working day.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if kind == "natural":
        return received_at + limit
    zone = zone or platform_zone()
    cursor = received_at.astimezone(zone)
    if not calendar.is_workday(cursor.date()):
        cursor = _start_of(calendar.next_workday(cursor.date()), zone)
    remaining = limit
    while True:
        end_of_day = _start_of(cursor.date() + timedelta(days=1), zone)
        chunk = min(remaining, end_of_day - cursor)
        cursor += chunk
        remaining -= chunk
        if remaining <= timedelta(0):
            return cursor.astimezone(received_at.tzinfo)
        cursor = _start_of(calendar.next_workday(cursor.date() - timedelta(days=1)), zone)


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
