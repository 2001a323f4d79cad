"""SQL of the duplicate index: one village's open requests of one service, and merged groups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.db import Database
from grassroots.requests.adapters.orm import requests
from grassroots.requests.domain.machine import OPEN_STATUSES

_OPEN = sorted(s.value for s in OPEN_STATUSES)
# A village sees a handful of requests of one service a month; this only bounds a flood.
NEIGHBOURS_LIMIT = 500


async def open_neighbours(
    db: Database,
    area_code: str,
    service_code: str,
    since: datetime,
    *,
    until: datetime | None = None,
    exclude: str | None = None,
) -> list[tuple[str, list[int] | None]]:
    """(id, word fingerprints) of open requests raised in the area for the service since then."""
    query = (
        select(requests.c.id, requests.c.description_terms)
        .where(
            requests.c.area_code == area_code,
            requests.c.service_code == service_code,
            requests.c.received_at >= since,
            requests.c.status.in_(_OPEN),
        )
        .order_by(requests.c.received_at.desc())
        .limit(NEIGHBOURS_LIMIT)
    )
    if until is not None:
        query = query.where(requests.c.received_at <= until)
    if exclude is not None:
        query = query.where(requests.c.id != exclude)
    # The hot read of every intake: one statement, one round trip.
    rows = await db.read_rows(query)
    return [(row.id, row.description_terms) for row in rows]


async def followers_of(session: AsyncSession, request_id: str) -> list[dict[str, Any]]:
    """The requests merged into `request_id`."""
    rows = (
        await session.execute(
            select(requests).where(requests.c.merged_into == request_id).order_by(requests.c.id)
        )
    ).all()
    return [dict(row._mapping) for row in rows]


async def request_by_id(session: AsyncSession, request_id: str) -> dict[str, Any] | None:
    """One request's row, or None."""
    row = (await session.execute(select(requests).where(requests.c.id == request_id))).first()
    return None if row is None else dict(row._mapping)
