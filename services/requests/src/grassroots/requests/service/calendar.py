"""Use cases of the working-day calendar: read a year's overrides, load a year's holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid
from grassroots.requests.adapters import repository
from grassroots.requests.service.clock import recompute_open_requests
from grassroots.requests.service.context import RequestsContext


@dataclass(frozen=True)
class CalendarYear:
    """A year's overrides and whether holiday data covers it."""

    year: int
    covered: bool
    holidays: list[date]
    workdays: list[date]


async def read_calendar_year(
    session: AsyncSession, ctx: RequestsContext, year: int
) -> CalendarYear:
    """The operator's overrides of `year` and whether holiday data covers it."""
    rows = await repository.calendar_year(session, year)
    return CalendarYear(
        year=year,
        covered=ctx.calendar.covers(year),
        holidays=[r.day for r in rows if not r.is_workday],
        workdays=[r.day for r in rows if r.is_workday],
    )


async def load_calendar_year(
    session: AsyncSession,
    ctx: RequestsContext,
    principal: Principal,
    year: int,
    holidays: list[date],
    workdays: list[date],
) -> CalendarYear:
    """Replace a year's overrides, then replay every open request's due time on the new calendar."""
    for field, days in (("holidays", holidays), ("workdays", workdays)):
        if any(d.year != year for d in days):
            raise Invalid(field, f"every day must lie in {year}")
    if set(holidays) & set(workdays):
        raise Invalid("workdays", "a day cannot be both a holiday and a working day")
    now = utcnow()
    await repository.replace_calendar_year(
        session, year, holidays, workdays, loaded_by=principal.sub, loaded_at=now
    )
    await ctx.reload_calendar(session)
    # Due times are replayed from each open request's history on the new calendar.
    await recompute_open_requests(ctx, session, now)
    return await read_calendar_year(session, ctx, year)
