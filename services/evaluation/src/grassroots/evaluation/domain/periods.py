"""Evaluation periods (YYYY-MM, YYYY-Qn, YYYY) with boundaries in the platform's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from grassroots.contracts.timezone import platform_zone

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")


class PeriodError(ValueError):
    """A period string that is not YYYY-MM, YYYY-Qn or YYYY."""


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year, as the months it covers."""

    year: int
    kind: str  # "month" | "quarter" | "year"
    index: int  # month 1-12, quarter 1-4, or 0 for a year

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse `2026-11`, `2026-Q4` or `2026`."""
        match = _PATTERN.match(text.strip())
        if not match:
            raise PeriodError("expected YYYY-MM, YYYY-Qn or YYYY")
        year = int(match["year"])
        if year < 2000 or year > 2100:
            raise PeriodError("year out of range 2000-2100")
        if match["month"]:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise PeriodError("month must be 01-12")
            return cls(year, "month", month)
        if match["quarter"]:
            return cls(year, "quarter", int(match["quarter"]))
        return cls(year, "year", 0)

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        return f"{self.year}"

    @property
    def months(self) -> tuple[str, ...]:
        """The month keys (`YYYY-MM`) this period covers."""
        if self.kind == "month":
            numbers = [self.index]
        elif self.kind == "quarter":
            numbers = [3 * (self.index - 1) + i for i in (1, 2, 3)]
        else:
            numbers = list(range(1, 13))
        return tuple(f"{self.year}-{m:02d}" for m in numbers)

    @property
    def start(self) -> datetime:
        """First instant of the period (local midnight, timezone-aware)."""
        first = int(self.months[0][5:])
        return datetime(self.year, first, 1, tzinfo=platform_zone())

    @property
    def end(self) -> datetime:
        """First instant after the period."""
        last = int(self.months[-1][5:])
        if last == 12:
            return datetime(self.year + 1, 1, 1, tzinfo=platform_zone())
        return datetime(self.year, last + 1, 1, tzinfo=platform_zone())

    def contains(self, moment: datetime) -> bool:
        """True when `moment` (timezone-aware) falls inside the period."""
        return month_key(moment) in self.months

    @property
    def fraction_of_year(self) -> float:
        """How much of a year the period spans (1/12, 1/4 or 1)."""
        return len(self.months) / 12


def chinese_label(period: str) -> str:
    """A period as people write it: 2026年12月, 2026年第4季度, 2026年."""
    if "-Q" in period:
        year, quarter = period.split("-Q")
        return f"{year}年第{quarter}季度"
    if "-" in period:
        year, month = period.split("-")
        return f"{year}年{int(month)}月"
    return f"{period}年"


def month_key(moment: datetime) -> str:
    """The month (in the platform's time zone) `YYYY-MM` an aware instant falls in."""
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    local = moment.astimezone(platform_zone())
    return f"{local.year}-{local.month:02d}"


def months_between(start: str, end: str) -> list[str]:
    """Month keys from `start` to `end` inclusive (both `YYYY-MM`)."""
    year, month = int(start[:4]), int(start[5:])
    out: list[str] = []
    while f"{year}-{month:02d}" <= end:
        out.append(f"{year}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def seconds_between(earlier: datetime, later: datetime) -> int:
    """Whole seconds from `earlier` to `later` (negative when out of order)."""
    delta: timedelta = later - earlier
    return int(delta.total_seconds())
