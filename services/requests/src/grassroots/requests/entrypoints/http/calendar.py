"""The working-day calendar (`/v1/calendar/{year}`): read by all, loaded by platform admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.db import ReadSession, Session
from grassroots.kit.guards import PlatformAdmin
from grassroots.requests.entrypoints.http.deps import Ctx
from grassroots.requests.entrypoints.http.schemas import CalendarYearIn, CalendarYearOut
from grassroots.requests.service import calendar

router = APIRouter(prefix="/v1")


# Holiday calendars exist for years people plan in; anything else is a client's mistake.
Year = Annotated[int, Path(ge=1900, le=2199, description="a calendar year, 1900-2199")]


@router.get("/calendar/{year}", response_model=CalendarYearOut, tags=["calendar"])
async def get_calendar_year(
    session: ReadSession, ctx: Ctx, principal: CurrentPrincipal, year: Year
) -> CalendarYearOut:
    """The operator's overrides of a year and whether holiday data covers it."""
    return _year_out(await calendar.read_calendar_year(session, ctx, year))


@router.put("/calendar/{year}", response_model=CalendarYearOut, tags=["calendar"])
async def put_calendar_year(
    session: Session, ctx: Ctx, principal: PlatformAdmin, year: Year, body: CalendarYearIn
) -> CalendarYearOut:
    """Load a year's official holidays and make-up working days (replaces the year's overrides)."""
    loaded = await calendar.load_calendar_year(
        session, ctx, principal, year, body.holidays, body.workdays
    )
    return _year_out(loaded)


def _year_out(year: calendar.CalendarYear) -> CalendarYearOut:
    return CalendarYearOut(
        year=year.year, covered=year.covered, holidays=year.holidays, workdays=year.workdays
    )
