"""The cache of active webhook subscriptions: read once per period, afresh after a change here."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from grassroots.kit.db import AsyncSession
from grassroots.notifications.adapters.webhooks import ActiveSubscriptions


class CountingSession:
    """Answers every query with the same rows and counts the queries."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows
        self.queries = 0

    async def execute(self, statement: Any) -> Any:
        self.queries += 1
        rows = self.rows

        class Result:
            def all(self) -> list[Any]:
                return list(rows)

        return Result()


async def test_subscriptions_are_read_once_per_period_and_afresh_after_forget() -> None:
    fake = CountingSession([("w1", ["*"], "230321000000")])
    session = cast(AsyncSession, fake)
    cache = ActiveSubscriptions(ttl_seconds=0.2)
    assert await cache.read(session) == [("w1", ["*"], "230321000000")]
    await cache.read(session)
    assert fake.queries == 1
    cache.forget()
    await cache.read(session)
    assert fake.queries == 2
    await asyncio.sleep(0.25)
    await cache.read(session)
    assert fake.queries == 3
