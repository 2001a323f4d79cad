"""SQL of webhook subscriptions, and the short-lived cache of the active ones."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.notifications.adapters.orm import webhooks


async def add_webhook(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a new subscription."""
    await session.execute(webhooks.insert().values(**values))


async def get_webhook(session: AsyncSession, webhook_id: str) -> Any | None:
    """One subscription, or None."""
    query = select(webhooks).where(webhooks.c.id == webhook_id)
    return (await session.execute(query)).first()


async def list_webhooks(
    session: AsyncSession, area_prefix: str, after: str | None, limit: int
) -> list[Any]:
    """Subscriptions under an area prefix, by id after `after` (one more than `limit`)."""
    query = select(webhooks).where(webhooks.c.area_code.startswith(area_prefix))
    if after is not None:
        query = query.where(webhooks.c.id > after)
    return list((await session.execute(query.order_by(webhooks.c.id).limit(limit + 1))).all())


async def webhooks_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, Any]:
    """The named subscriptions by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = (await session.execute(select(webhooks).where(webhooks.c.id.in_(wanted)))).all()
    return {s.id: s for s in found}


async def set_webhook(session: AsyncSession, webhook_id: str, values: dict[str, Any]) -> None:
    """Change one subscription."""
    await session.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))


async def failures_of(session: AsyncSession, webhook_id: str) -> int:
    """How many deliveries of a subscription failed in a row."""
    current = await session.scalar(
        select(webhooks.c.consecutive_failures).where(webhooks.c.id == webhook_id)
    )
    return int(current or 0)


async def set_active_webhook(
    session: AsyncSession, webhook_id: str, values: dict[str, Any]
) -> None:
    """Change one subscription if it is still active."""
    await session.execute(
        update(webhooks)
        .where(webhooks.c.id == webhook_id, webhooks.c.status == "active")
        .values(**values)
    )


class ActiveSubscriptions:
    """The active subscriptions, re-read at most once per `ttl_seconds` (every event reads them)."""

    def __init__(self, ttl_seconds: float = 1.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._rows: list[Any] = []
        self._read_at = -math.inf

    def forget(self) -> None:
        """A subscription changed here: the next read goes to the database, not the cached list.

        (Another replica of the service sees the change within `ttl_seconds`.)
        """
        self._read_at = -math.inf

    async def read(self, session: AsyncSession) -> list[Any]:
        """(id, event_types, area_code) of every active subscription."""
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._read_at > self.ttl_seconds:
            query = select(webhooks.c.id, webhooks.c.event_types, webhooks.c.area_code).where(
                webhooks.c.status == "active"
            )
            self._rows = list((await session.execute(query)).all())
            self._read_at = loop_time
        return self._rows
