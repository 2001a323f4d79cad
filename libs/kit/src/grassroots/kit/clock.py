"""Time in one place, so tests can move it; the dates people mean are in `GR_TIME_ZONE`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from grassroots.contracts.timezone import platform_zone

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 (replaced by `frozen`)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC instant (SQLite hands back naive datetimes that were stored as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return _now()


def zone() -> ZoneInfo:
    """The platform's time zone (`GR_TIME_ZONE`, default Asia/Shanghai)."""
    return platform_zone()


def local_date(moment: datetime) -> date:
    """The calendar date an instant falls on in the platform's time zone."""
    return as_utc(moment).astimezone(zone()).date()


def today() -> date:
    """Today's date where the platform's people live (not the UTC date)."""
    return local_date(utcnow())


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Stop the clock at `at` (an aware instant) for the duration of the block (tests)."""
    global _now
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware instant")
    previous = _now
    _now = lambda: at.astimezone(UTC)  # noqa: E731
    try:
        yield
    finally:
        _now = previous
