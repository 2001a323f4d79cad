"""Idempotent consumers: processed event ids are recorded in the effect's own transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
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


_CLAIM_ARRAY = text(
    "INSERT INTO kit_processed_events (consumer, event_id, processed_at)"
    " SELECT CAST(:consumer AS varchar), x, CAST(:now AS timestamptz)"
    " FROM unnest(CAST(:ids AS varchar[])) AS x"
    " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
)


async def claim_events(session: AsyncSession, consumer: str, event_ids: Sequence[str]) -> set[str]:
    """Record a batch of event ids in one statement; the ids this consumer had not handled yet.

    Ids are claimed in sorted order so two transactions claiming overlapping batches lock the
    inbox keys in the same order (no deadlock between replicas sharing a consumer). On
    PostgreSQL the ids travel as one array, so the statement is the same for any batch size.
    """
    unique = sorted(set(event_ids))
    if not unique:
        return set()
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        params = {"consumer": consumer, "now": now, "ids": unique}
        return set((await session.execute(_CLAIM_ARRAY, params)).scalars())
    statement = (
        insert_ignoring(session, processed_events, ["consumer", "event_id"])
        .values([{"consumer": consumer, "event_id": i, "processed_at": now} for i in unique])
        .returning(processed_events.c.event_id)
    )
    return set((await session.execute(statement)).scalars())
