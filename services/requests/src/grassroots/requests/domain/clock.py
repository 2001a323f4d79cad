"""The SLA clock replayed from a request's history: limits, pauses, extensions and refunds.

Every due time is derived from the steps below, so a change to the working-day calendar
recomputes it by replaying the same steps on the new calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from grassroots.contracts.timezone import platform_zone
from grassroots.requests.domain.calendar import CalendarKind, WorkCalendar, due_at

ZERO = timedelta(0)


@dataclass(frozen=True)
class Start:
    """A limit starts running (intake, escalation to another tier, reopening)."""

    at: datetime
    limit: timedelta
    kind: CalendarKind


@dataclass(frozen=True)
class SetDue:
    """The due time becomes a promised date (an approved extension, an explanation's date)."""

    at: datetime
    due: datetime


@dataclass(frozen=True)
class Pause:
    """Waiting for the citizen: the clock stops."""

    at: datetime


@dataclass(frozen=True)
class Resume:
    """The clock runs again with the time that was left."""

    at: datetime


@dataclass(frozen=True)
class Refund:
    """Time held by a unit whose return the dispatcher upheld does not count."""

    at: datetime
    held_from: datetime
    held_to: datetime


ClockStep = Start | SetDue | Pause | Resume | Refund


@dataclass(frozen=True)
class Clock:
    """Where the clock stands after some steps."""

    kind: CalendarKind = "workdays"
    due_at: datetime | None = None
    # When the reminder (催办) falls due: the chase fraction of the limit used up.
    chase_at: datetime | None = None
    paused_at: datetime | None = None
    # While paused: the working time that was left to the due time and to the reminder.
    left: timedelta = ZERO
    left_to_chase: timedelta = ZERO

    @property
    def paused(self) -> bool:
        """True while the clock is stopped."""
        return self.paused_at is not None


def working_time(
    start: datetime,
    end: datetime,
    kind: CalendarKind,
    calendar: WorkCalendar,
    zone: ZoneInfo | None = None,
) -> timedelta:
    """How much of the span from `start` to `end` the clock counts (zero if it is empty)."""
    if end <= start:
        return ZERO
    if kind == "natural":
        return end - start
    zone = zone or platform_zone()
    total = ZERO
    cursor = start.astimezone(zone)
    stop = end.astimezone(zone)
    while cursor < stop:
        next_midnight = datetime.combine(
            cursor.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone
        )
        chunk_end = min(next_midnight, stop)
        if calendar.is_workday(cursor.date()):
            total += chunk_end - cursor
        cursor = chunk_end
    return total


def add_working_time(
    start: datetime,
    amount: timedelta,
    kind: CalendarKind,
    calendar: WorkCalendar,
    zone: ZoneInfo | None = None,
) -> datetime:
    """The instant when `amount` of counted time has passed after `start`."""
    if amount <= ZERO:
        return start
    return due_at(start, amount, kind, calendar, zone)


def step(
    clock: Clock,
    entry: ClockStep,
    calendar: WorkCalendar,
    *,
    chase_fraction: float = 0.8,
    zone: ZoneInfo | None = None,
) -> Clock:
    """The clock after one step."""
    kind = clock.kind

    def add(start: datetime, amount: timedelta, k: CalendarKind = kind) -> datetime:
        return add_working_time(start, amount, k, calendar, zone)

    def span(start: datetime, end: datetime, k: CalendarKind = kind) -> timedelta:
        return working_time(start, end, k, calendar, zone)

    if isinstance(entry, Start):
        return Clock(
            kind=entry.kind,
            due_at=add(entry.at, entry.limit, entry.kind),
            chase_at=add(entry.at, entry.limit * chase_fraction, entry.kind),
        )
    if clock.due_at is None or clock.chase_at is None:
        # Nothing runs before a limit started (history older than the clock's details).
        return clock
    if isinstance(entry, SetDue):
        chase = add(entry.at, span(entry.at, entry.due) * chase_fraction)
        if clock.paused_at is not None:
            return replace(
                clock,
                due_at=entry.due,
                chase_at=chase,
                left=span(clock.paused_at, entry.due),
                left_to_chase=span(clock.paused_at, chase),
            )
        return replace(clock, due_at=entry.due, chase_at=chase)
    if isinstance(entry, Pause):
        if clock.paused_at is not None:
            return clock
        return replace(
            clock,
            paused_at=entry.at,
            left=span(entry.at, clock.due_at),
            left_to_chase=span(entry.at, clock.chase_at),
        )
    if isinstance(entry, Resume):
        if clock.paused_at is None:
            return clock
        return replace(
            clock,
            paused_at=None,
            due_at=add(entry.at, clock.left),
            chase_at=add(entry.at, clock.left_to_chase),
            left=ZERO,
            left_to_chase=ZERO,
        )
    refund = span(entry.held_from, entry.held_to)
    if clock.paused_at is not None:
        return replace(clock, left=clock.left + refund, left_to_chase=clock.left_to_chase + refund)
    return replace(clock, due_at=add(clock.due_at, refund), chase_at=add(clock.chase_at, refund))


def replay(
    steps: Iterable[ClockStep],
    calendar: WorkCalendar,
    *,
    chase_fraction: float = 0.8,
    zone: ZoneInfo | None = None,
) -> Clock:
    """The clock after every step, in the order given (the history's order)."""
    clock = Clock()
    for entry in steps:
        clock = step(clock, entry, calendar, chase_fraction=chase_fraction, zone=zone)
    return clock


def details_of(entry: ClockStep) -> dict[str, Any]:
    """The JSON a history entry keeps so the clock can replay this step."""
    if isinstance(entry, Start):
        return {
            "clock": "start",
            "limit_seconds": entry.limit.total_seconds(),
            "calendar": entry.kind,
        }
    if isinstance(entry, SetDue):
        return {"clock": "set_due", "due_at": entry.due.isoformat()}
    if isinstance(entry, Pause):
        return {"clock": "pause"}
    if isinstance(entry, Resume):
        return {"clock": "resume"}
    return {
        "clock": "refund",
        "held_from": entry.held_from.isoformat(),
        "held_to": entry.held_to.isoformat(),
    }


def step_from_details(at: datetime, details: Mapping[str, Any] | None) -> ClockStep | None:
    """The clock step a history entry recorded at `at`, if it recorded one."""
    kind = (details or {}).get("clock")
    if details is None or kind is None:
        return None
    if kind == "start":
        calendar: CalendarKind = "natural" if details["calendar"] == "natural" else "workdays"
        return Start(at, timedelta(seconds=float(details["limit_seconds"])), calendar)
    if kind == "set_due":
        return SetDue(at, datetime.fromisoformat(details["due_at"]))
    if kind == "pause":
        return Pause(at)
    if kind == "resume":
        return Resume(at)
    if kind == "refund":
        return Refund(
            at,
            held_from=datetime.fromisoformat(details["held_from"]),
            held_to=datetime.fromisoformat(details["held_to"]),
        )
    raise ValueError(f"unknown clock step {kind!r}")
