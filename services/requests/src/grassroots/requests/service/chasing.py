"""Chasing and supervision (催办, 督办): reminders before the due time, notices after a breach."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from grassroots.kit.auth import Principal
from grassroots.kit.clock import local_date, utcnow, zone
from grassroots.kit.orgtree import get_unit
from grassroots.requests.adapters import repository
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.handling import record_step

SCANNER = "system:sla-scanner"


async def chase_due_requests(ctx: RequestsContext, now: datetime | None = None) -> int:
    """Remind the handler and the unit's supervisor once most of a limit is used (催办)."""
    now = now or utcnow()
    async with ctx.db.transaction() as session:
        rows = await repository.claim_due_for_chasing(
            session,
            now=now,
            area_prefix=ctx.settings.area_prefix,
            limit=ctx.settings.requests_sla_scan_batch,
        )
        chased = 0
        for row in rows:
            chased += (
                await record_step(
                    ctx,
                    session,
                    row,
                    "chased",
                    actor=SCANNER,
                    now=now,
                    note="time limit mostly used",
                    changes={"chased_at": now},
                )
                is not None
            )
    return chased


def _start_of_local_day(moment: datetime) -> datetime:
    return datetime.combine(local_date(moment), time(0), tzinfo=zone())


async def supervise_breaches(ctx: RequestsContext, now: datetime | None = None) -> int:
    """The day after a breach, notify the supervisor of the breaching unit's parent (督办)."""
    now = now or utcnow()
    async with ctx.db.transaction() as session:
        rows = await repository.claim_unsupervised_breaches(
            session,
            breached_before=_start_of_local_day(now),
            area_prefix=ctx.settings.area_prefix,
            limit=ctx.settings.requests_sla_scan_batch,
        )
        supervised = 0
        for row in rows:
            breached_id = await repository.last_breaching_unit(session, row["id"])
            breached_id = breached_id or row["org_unit_id"]
            unit = await get_unit(session, breached_id)
            supervising = unit.parent_id if unit and unit.parent_id else breached_id
            supervised += (
                await record_step(
                    ctx,
                    session,
                    row,
                    "supervised",
                    actor=SCANNER,
                    now=now,
                    note=f"supervision notice to {supervising}",
                    changes={"supervised_at": now},
                    breached_org_unit_id=breached_id,
                    supervising_org_unit_id=supervising,
                )
                is not None
            )
    return supervised


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first instant of a month (YYYY-MM, local time) and of the month after."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime.combine(date(year, number, 1), time(0), tzinfo=zone())
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


async def repeated_breaches(
    ctx: RequestsContext, principal: Principal, county: str, month: str, minimum: int
) -> list[dict[str, Any]]:
    """Units of a county that breached time limits at least `minimum` times in a month."""
    principal.require_role("cadre")
    principal.require_area(county)
    start, end = month_bounds(month)
    async with ctx.db.read_only() as session:
        return await repository.breaches_by_unit(
            session, county=county, start=start, end=end, minimum=minimum
        )
