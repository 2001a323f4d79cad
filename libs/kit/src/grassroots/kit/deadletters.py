"""Operator tools for the dead-letter store: list parked messages and replay them."""

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
        dead_letters.c.replayed_at,
    ).order_by(dead_letters.c.id)
    if not include_replayed:
        query = query.where(dead_letters.c.replayed_at.is_(None))
    async with db.read_only() as session:
        return [dict(row._mapping) for row in (await session.execute(query)).all()]


async def replay_dead_letters(db: Database, js: Any, ids: list[int] | None = None) -> int:
    """Publish parked messages again on their subjects; consumers that already handled them skip.

    The CloudEvent id is unchanged, so idempotent consumers see a duplicate; the `Nats-Msg-Id`
    is new so JetStream's duplicate window does not drop the replay.
    """
    query = select(dead_letters).where(dead_letters.c.replayed_at.is_(None))
    if ids:
        query = query.where(dead_letters.c.id.in_(ids))
    async with db.read_only() as session:
        rows = (await session.execute(query.order_by(dead_letters.c.id))).all()
    for row in rows:
        msg_id = f"{row.event_id or 'unreadable'}-replay-{row.id}"
        await js.publish(row.subject, row.payload, headers={"Nats-Msg-Id": msg_id})
        async with db.transaction() as session:
            await session.execute(
                update(dead_letters).where(dead_letters.c.id == row.id).values(replayed_at=utcnow())
            )
    return len(rows)
