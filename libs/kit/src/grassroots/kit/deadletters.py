"""Operator tools for the dead-letter store: list parked messages, ask for their replay."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from grassroots.kit.clock import utcnow
from grassroots.kit.db import Database
from grassroots.kit.tables import dead_letters


async def list_dead_letters(
    db: Database, *, include_replayed: bool = False
) -> list[dict[str, Any]]:
    """Parked messages, oldest first."""
    query = select(
        dead_letters.c.id,
        dead_letters.c.consumer,
        dead_letters.c.subject,
        dead_letters.c.event_id,
        dead_letters.c.event_type,
        dead_letters.c.error,
        dead_letters.c.deliveries,
        dead_letters.c.created_at,
        dead_letters.c.replay_requested_at,
        dead_letters.c.replayed_at,
    ).order_by(dead_letters.c.id)
    if not include_replayed:
        query = query.where(dead_letters.c.replayed_at.is_(None))
    async with db.read_only() as session:
        return [dict(row._mapping) for row in (await session.execute(query)).all()]


async def request_replay(db: Database, ids: list[int] | None = None) -> int:
    """Hand parked messages back to the consumer that parked each one (never to the bus).

    The running service applies them through that consumer's handler alone, within seconds
    (`EventConsumers.watch_replays`); other consumers and outside subscribers never see them.
    """
    query = (
        update(dead_letters)
        .where(dead_letters.c.replayed_at.is_(None))
        .values(replay_requested_at=utcnow())
    )
    if ids:
        query = query.where(dead_letters.c.id.in_(ids))
    async with db.transaction() as session:
        result = await session.execute(query)
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count
