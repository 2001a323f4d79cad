"""Shared set-up of the evaluation component tests: the service over PostgreSQL and NATS, fed
a world of events, handed over once the projection has caught up with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import nats
import pytest
from uuid6 import uuid7

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.base import EventData
from grassroots.evaluation.main import SPEC
from grassroots.kit.db import AsyncSession
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, RunningService, eventually, run_service

World = Iterable[tuple[EventData, str]]
Caught = Callable[[AsyncSession], Awaitable[bool]]
Seeded = Callable[[World, Caught], AbstractAsyncContextManager[RunningService]]


def envelope(data: EventData, area: str) -> CloudEvent:
    """An event of `data` for `area`, as a producing service would publish it."""
    return CloudEvent(
        id=str(uuid7()),
        source="/grassroots/test",
        type=data.event_type(),
        subject="x",
        data=data.model_dump(mode="json"),
        areacode=area,
    )


async def publish_world(nats_url: str, world: World) -> None:
    """Publish every event of the world on its area-coded subject."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        for data, area in world:
            event = envelope(data, area)
            await js.publish(
                data.subject_for(area), event.to_json_bytes(), headers={"Nats-Msg-Id": event.id}
            )
    finally:
        await nc.close()


@pytest.fixture
def seeded_evaluation(databases: DatabaseFactory, nats_server: NatsServer) -> Seeded:
    """The service on a fresh database, fed `world`, once `caught_up(session)` says so."""

    @asynccontextmanager
    async def seeded(world: World, caught_up: Caught) -> AsyncIterator[RunningService]:
        url = await databases.fresh(SPEC)
        async with run_service(SPEC, database_url=url, nats_url=nats_server.url) as service:
            await publish_world(nats_server.url, world)

            async def projected() -> bool:
                async with service.runtime.db.read_only() as session:
                    return await caught_up(session)

            await eventually(projected)
            yield service

    return seeded
