"""Exclusions, appeals and approved bonus items, read against the stored request facts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.facts_store import fact_from_row
from grassroots.evaluation.adapters.orm import appeals, bonus_items, exclusions, request_facts
from grassroots.evaluation.domain.facts import RequestFacts


async def request_fact(session: AsyncSession, request_id: str) -> RequestFacts | None:
    """The stored facts of a request, if any."""
    row = (
        await session.execute(select(request_facts).where(request_facts.c.request_id == request_id))
    ).first()
    return None if row is None else fact_from_row(row)


async def open_exclusion(session: AsyncSession, request_id: str) -> str | None:
    """The id of the request's pending or approved exclusion, if any."""
    found = await session.scalar(
        select(exclusions.c.id).where(
            exclusions.c.request_id == request_id,
            exclusions.c.status.in_(("pending", "approved")),
        )
    )
    return None if found is None else str(found)


async def open_appeal(session: AsyncSession, request_id: str, indicator: str) -> str | None:
    """The id of the request's pending or upheld appeal on `indicator`, if any."""
    found = await session.scalar(
        select(appeals.c.id).where(
            appeals.c.request_id == request_id,
            appeals.c.indicator == indicator,
            appeals.c.status.in_(("pending", "upheld")),
        )
    )
    return None if found is None else str(found)


async def excluded_facts(
    session: AsyncSession, unit_ids: list[str], months: list[str]
) -> list[RequestFacts]:
    """Facts of the requests received by these units in those months with an approved exclusion."""
    f = request_facts.c
    rows = await session.execute(
        select(request_facts)
        .join(exclusions, exclusions.c.request_id == f.request_id)
        .where(
            exclusions.c.status == "approved",
            f.received_month.in_(months),
            f.received_unit_id.in_(unit_ids),
        )
    )
    return [fact_from_row(row) for row in rows.all()]


async def appealed_facts(
    session: AsyncSession, unit_ids: list[str], months: list[str]
) -> list[tuple[RequestFacts, str]]:
    """(facts, rate) of the requests received by these units in those months per upheld appeal."""
    f = request_facts.c
    rows = await session.execute(
        select(request_facts, appeals.c.indicator)
        .join(appeals, appeals.c.request_id == f.request_id)
        .where(
            appeals.c.status == "upheld",
            f.received_month.in_(months),
            f.received_unit_id.in_(unit_ids),
        )
    )
    return [(fact_from_row(row), str(row.indicator)) for row in rows.all()]


async def received_facts(
    session: AsyncSession,
    unit_ids: list[str],
    months: list[str],
    after: str | None = None,
    limit: int | None = None,
) -> list[RequestFacts]:
    """Facts of the requests received by these units in those months, by request id (one more
    than `limit`, so the caller sees whether more follow)."""
    f = request_facts.c
    query = select(request_facts).where(
        f.received_unit_id.in_(unit_ids), f.received_month.in_(months)
    )
    if after:
        query = query.where(f.request_id > after)
    query = query.order_by(f.request_id)
    if limit is not None:
        query = query.limit(limit + 1)
    return [fact_from_row(r) for r in (await session.execute(query)).all()]


async def exclusions_of(session: AsyncSession, request_ids: list[str]) -> list[dict[str, Any]]:
    """Every exclusion of these requests, oldest first."""
    rows = await session.execute(
        select(exclusions)
        .where(exclusions.c.request_id.in_(request_ids))
        .order_by(exclusions.c.created_at)
    )
    return [dict(r._mapping) for r in rows.all()]


async def appeals_of(session: AsyncSession, request_ids: list[str]) -> list[dict[str, Any]]:
    """Every appeal of these requests, oldest first."""
    rows = await session.execute(
        select(appeals).where(appeals.c.request_id.in_(request_ids)).order_by(appeals.c.created_at)
    )
    return [dict(r._mapping) for r in rows.all()]


async def approved_bonus_items(
    session: AsyncSession, unit_ids: list[str]
) -> list[tuple[str, str, float]]:
    """(unit, period, points) of the approved bonus items of these units."""
    rows = await session.execute(
        select(bonus_items.c.org_unit_id, bonus_items.c.period, bonus_items.c.points).where(
            bonus_items.c.org_unit_id.in_(unit_ids), bonus_items.c.status == "approved"
        )
    )
    return [(u, p, float(points)) for u, p, points in rows.all()]
