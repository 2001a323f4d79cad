"""The SLA clock of stored requests: replayed from their history, recomputed on calendar changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from grassroots.kit.clock import as_utc
from grassroots.kit.db import AsyncSession
from grassroots.requests.adapters import repository
from grassroots.requests.domain.calendar import CalendarKind
from grassroots.requests.domain.clock import (
    Clock,
    ClockStep,
    Start,
    details_of,
    replay,
    step,
    step_from_details,
)
from grassroots.requests.service.context import RequestsContext


def start_clock(
    ctx: RequestsContext, at: datetime, limit: timedelta, kind: CalendarKind
) -> tuple[Clock, dict[str, Any]]:
    """A limit starting at `at`: the clock and the history details that replay it."""
    entry = Start(at, limit, kind)
    clock = step(Clock(), entry, ctx.calendar, chase_fraction=ctx.settings.requests_chase_fraction)
    return clock, details_of(entry)


def clock_changes(clock: Clock, now: datetime) -> dict[str, Any]:
    """The request columns a clock sets; a breach or reminder moved into the future is re-armed.

    A breach already seen stays recorded (`overdue_at`): its supervision notice still goes out.
    """
    if clock.due_at is None or clock.chase_at is None:
        return {}
    changes: dict[str, Any] = {"due_at": clock.due_at, "chase_at": clock.chase_at}
    if clock.due_at > now:
        changes["overdue_marked"] = False
    if clock.chase_at > now:
        changes["chased_at"] = None
    return changes


async def history_steps(session: AsyncSession, request_id: str) -> list[ClockStep]:
    """The clock steps a request's history recorded, oldest first."""
    rows = await repository.clock_history(session, request_id)
    steps = [step_from_details(as_utc(r.at), r.details) for r in rows]
    return [s for s in steps if s is not None]


async def replay_clock(
    ctx: RequestsContext, session: AsyncSession, request_id: str, *then: ClockStep
) -> Clock:
    """The request's clock from its history, followed by the steps `then` (not yet recorded)."""
    steps = [*await history_steps(session, request_id), *then]
    return replay(steps, ctx.calendar, chase_fraction=ctx.settings.requests_chase_fraction)


async def recompute_open_requests(
    ctx: RequestsContext, session: AsyncSession, now: datetime
) -> int:
    """Replay every open request's clock on the current calendar; how many due times moved."""
    rows = await repository.open_due_times(session, ctx.settings.area_prefix)
    moved = 0
    for row in rows:
        clock = await replay_clock(ctx, session, row.id)
        if clock.due_at is None or clock.due_at == as_utc(row.due_at):
            continue
        await repository.set_columns(session, row.id, clock_changes(clock, now))
        moved += 1
    return moved
