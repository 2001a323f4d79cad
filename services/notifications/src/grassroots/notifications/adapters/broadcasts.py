"""SQL of broadcasts: the record, its fan-out cursor, the running one to work on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.notifications.adapters.notifications import locks_rows
from grassroots.notifications.adapters.orm import broadcasts


async def add_broadcast(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a new broadcast."""
    await session.execute(broadcasts.insert().values(**values))


async def get_broadcast(session: AsyncSession, broadcast_id: str) -> Any | None:
    """One broadcast, or None."""
    query = select(broadcasts).where(broadcasts.c.id == broadcast_id)
    return (await session.execute(query)).first()


async def list_broadcasts(
    session: AsyncSession, area_prefix: str, before: str | None, limit: int
) -> list[Any]:
    """Broadcasts under an area prefix, newest first (one more than `limit`)."""
    query = select(broadcasts).where(broadcasts.c.area_code.startswith(area_prefix))
    if before is not None:
        query = query.where(broadcasts.c.id < before)
    query = query.order_by(broadcasts.c.id.desc()).limit(limit + 1)
    return list((await session.execute(query)).all())


async def oldest_running(session: AsyncSession) -> Any | None:
    """The oldest running broadcast, locked for this transaction where the database can."""
    query = (
        select(broadcasts)
        .where(broadcasts.c.status == "running")
        .order_by(broadcasts.c.created_at)
        .limit(1)
    )
    if locks_rows(session):
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).first()


async def update_broadcast(
    session: AsyncSession, broadcast_id: str, values: dict[str, Any]
) -> None:
    """Change a broadcast's progress (recipients, cursor, status)."""
    await session.execute(
        update(broadcasts).where(broadcasts.c.id == broadcast_id).values(**values)
    )
