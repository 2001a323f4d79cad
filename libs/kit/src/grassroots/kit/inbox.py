"""Idempotent consumers: processed event ids are recorded in the effect's own transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.clock import utcnow
from grassroots.kit.db import insert_ignoring
from grassroots.kit.tables import processed_events


async def claim_event(session: AsyncSession, consumer: str, event_id: str) -> bool:
    """Record that `consumer` handles `event_id`; False when it already did (skip the effect)."""
    statement = insert_ignoring(session, processed_events, ["consumer", "event_id"]).values(
        consumer=consumer, event_id=event_id, processed_at=utcnow()
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
