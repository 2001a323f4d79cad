"""Harness for the notifications component tests: the service on a real port, real NATS,
real PostgreSQL, an injectable clock, event publishing and small HTTP receivers."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import httpx
import nats
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.base import EventData
from grassroots.contracts.events.members import MemberRegistered, OrgUnitCreated
from grassroots.contracts.events.notify import ContactErased, ContactUpserted
from grassroots.kit.app import Runtime
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.outbox import new_event_id
from grassroots.kit.testing.servers import NatsServer, free_port
from grassroots.kit.testing.services import DatabaseFactory, auth, settings_for_tests
from grassroots.notifications.adapters.orm import contacts, members, notifications
from grassroots.notifications.config import NotificationsSettings
from grassroots.notifications.main import SPEC, build_app

COUNTY = "230321000000"
TOWNSHIP = "230321100000"
VILLAGE = "230321100201"
OTHER_TOWNSHIP = "230321200000"
STAFF = auth("org_admin", COUNTY, "county-admin")


def beijing(hour: int, minute: int = 0, day: int = 23) -> datetime:
    """A moment given in Beijing time (UTC+8)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


class FakeClock:
    """The service's clock: runs at real speed from a moment the test chooses."""

    def __init__(self, now: datetime) -> None:
        self.offset = now - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, now: datetime) -> None:
        """Jump to `now` (and run on from there)."""
        self.offset = now - datetime.now(UTC)


@asynccontextmanager
async def serve(app: Any, port: int) -> AsyncIterator[None]:
    """Run an ASGI app under uvicorn on 127.0.0.1:`port` inside this event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


@dataclass
class Receiver:
    """A real HTTP endpoint recording what it gets; answers `status` (or what `judge` says)."""

    port: int = field(default_factory=free_port)
    status: int = 200
    judge: Callable[[Request, bytes], int] | None = None
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            self.calls.append((dict(request.headers), body))
            status = self.judge(request, body) if self.judge else self.status
            return Response(status_code=status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@asynccontextmanager
async def receiver(**kwargs: Any) -> AsyncIterator[Receiver]:
    """A running Receiver."""
    recv = Receiver(**kwargs)
    async with serve(recv.app(), recv.port):
        yield recv


@dataclass
class Notifications:
    """The running service: HTTP client on its real port, runtime, clock."""

    app: FastAPI
    runtime: Runtime
    client: httpx.AsyncClient
    clock: FakeClock

    async def scalar(self, query: Any) -> Any:
        """Run a read query against the service's database."""
        async with self.runtime.db.read_only() as session:
            return await session.scalar(query)

    async def rows(self, *where: Any) -> list[Any]:
        """Notification rows matching `where`."""
        async with self.runtime.db.read_only() as session:
            result = await session.execute(select(notifications).where(*where))
            return list(result.all())

    async def count(self, *where: Any) -> int:
        """How many notifications match."""
        query = select(func.count()).select_from(notifications).where(*where)
        return int(await self.scalar(query) or 0)

    async def contacts_stored(self, count: int) -> None:
        """Wait until `count` contacts (erased ones included) are stored."""

        async def stored() -> bool:
            query = select(func.count()).select_from(contacts)
            return int(await self.scalar(query) or 0) >= count

        await settle(stored)

    async def member_count(self) -> int:
        """Members in the replica."""
        return int(await self.scalar(select(func.count()).select_from(members)) or 0)

    def wake(self) -> None:
        """Make the dispatcher look now (after the clock moved)."""
        self.app.state.loops.dispatcher.wake()


StartNotifications = Callable[..., Any]


@pytest.fixture
def clock() -> FakeClock:
    """Starts at 10:00 Beijing time: outside quiet hours."""
    return FakeClock(beijing(10))


@pytest.fixture
def start_notifications(
    databases: DatabaseFactory, nats_server: NatsServer, clock: FakeClock
) -> Callable[..., Any]:
    """Start the service (`async with start_notifications(**settings) as svc`)."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Notifications]:
        port = free_port()
        values: dict[str, Any] = {
            "notifications_database_url": await databases.fresh(SPEC),
            "nats_url": nats_server.url,
            "host": "127.0.0.1",
            "notifications_port": port,
            "notifications_retry_base_seconds": 0.05,
            "notifications_retry_cap_seconds": 0.2,
            "notifications_dispatch_poll_seconds": 0.05,
            "consumer_batch_size": 256,
            "consumer_ack_wait_seconds": 60,
        }
        values.update(overrides)
        settings = settings_for_tests(NotificationsSettings, **values)
        app = build_app(settings, clock=clock)
        runtime: Runtime = app.state.runtime
        async with serve(app, port):
            await asyncio.wait_for(runtime.ready.wait(), timeout=30)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                yield Notifications(app, runtime, client, clock)

    return start


class Publisher:
    """Publishes contract events to JetStream as the other services would."""

    def __init__(self, js: Any) -> None:
        self.js = js

    async def publish(
        self, data: EventData, area_code: str, *, twice: bool = False, subject: str = "x"
    ) -> CloudEvent:
        """Publish one event (with `twice`, a second copy that JetStream does not de-duplicate)."""
        event = CloudEvent(
            id=new_event_id(),
            source="/grassroots/test",
            type=data.event_type(),
            subject=subject,
            data=data.model_dump(mode="json"),
            areacode=area_code,
        )
        for copy in range(2 if twice else 1):
            await self.js.publish(
                data.subject_for(area_code),
                event.to_json_bytes(),
                headers={"Nats-Msg-Id": f"{event.id}-{copy}"},
            )
        return event

    async def publish_many(self, items: list[tuple[EventData, str]]) -> None:
        """Publish many events with many acknowledgements in flight."""
        for start in range(0, len(items), 500):
            futures = []
            for data, area in items[start : start + 500]:
                event = CloudEvent(
                    id=new_event_id(),
                    source="/grassroots/test",
                    type=data.event_type(),
                    subject="x",
                    data=data.model_dump(mode="json"),
                    areacode=area,
                )
                futures.append(
                    await self.js.publish_async(
                        data.subject_for(area),
                        event.to_json_bytes(),
                        headers={"Nats-Msg-Id": event.id},
                    )
                )
            await asyncio.gather(*futures)

    async def unit(self, unit_id: str, area: str, tier: str, parent: str | None = None) -> None:
        """An org unit in the tree."""
        await self.publish(
            OrgUnitCreated(
                org_unit_id=unit_id,
                name=f"unit {unit_id}",
                area_code=area,
                tier=tier,  # type: ignore[arg-type]
                kind="committee" if tier in ("county", "township") else "branch",
                domain="rural",
                parent_id=parent,
                version=1,
                occurred_at=datetime.now(UTC),
            ),
            area,
        )

    async def member(self, member_id: str, unit_id: str, area: str, duties: list[str]) -> None:
        """A registered member."""
        await self.publish(member_registered(member_id, unit_id, duties), area)

    async def contact(self, recipient_id: str, area: str, **details: Any) -> None:
        """A ContactUpserted command."""
        kind = recipient_id.partition(":")[0]
        await self.publish(
            ContactUpserted(recipient_id=recipient_id, recipient_kind=kind, **details),  # type: ignore[arg-type]
            area,
        )

    async def erase(self, recipient_id: str, area: str) -> None:
        """A ContactErased command."""
        await self.publish(ContactErased(recipient_id=recipient_id), area)


def member_registered(member_id: str, unit_id: str, duties: list[str]) -> MemberRegistered:
    """The registration event of a full member."""
    return MemberRegistered(
        member_id=member_id,
        org_unit_id=unit_id,
        stage="full",
        duties=duties,
        version=1,
        occurred_at=datetime.now(UTC),
    )


@pytest.fixture
async def publisher(nats_server: NatsServer) -> AsyncIterator[Publisher]:
    """A JetStream publisher on the test's NATS (streams created)."""
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js)
    try:
        yield Publisher(js)
    finally:
        await nc.close()


async def settle(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Wait until `check()` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {timeout}s: {check.__name__}")
        await asyncio.sleep(0.05)


@pytest.fixture
def h() -> ModuleType:
    """This module's helpers and constants, for the tests (conftest cannot be imported)."""
    return sys.modules[__name__]
