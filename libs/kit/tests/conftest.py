"""A tiny service built only from the kit, with a consumer whose effect is countable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated
from grassroots.contracts.streams import MEMBERS
from grassroots.kit import migrate
from grassroots.kit.app import Runtime, create_app
from grassroots.kit.db import Database
from grassroots.kit.messaging import ConsumerSpec
from grassroots.kit.settings import ServiceSettings
from grassroots.kit.testing.services import (
    DatabaseFactory,
    RunningService,
    run_app,
    settings_for_tests,
)

EMPTY_VERSIONS = Path(__file__).parent / "no_service_migrations"


class ProbeSettings(ServiceSettings):
    """Settings of the probe service."""

    SERVICE: ClassVar[str] = "probe"
    probe_database_url: str | None = None


def org_unit_created(n: int, area_code: str = "230321100000") -> OrgUnitCreated:
    """A sample event."""
    return OrgUnitCreated(
        org_unit_id=f"unit-{n}",
        name=f"unit {n}",
        area_code=area_code,
        tier="township",
        kind="committee",
        domain="rural",
        version=1,
        occurred_at=datetime(2026, 11, 22, tzinfo=UTC),
    )


class Probe:
    """Counts effects: each handled event inserts one row (no unique key, so doubles show)."""

    def __init__(self) -> None:
        self.failures_left = 0
        self.always_fail = False
        self.calls = 0

    async def handle(self, session: AsyncSession, event: CloudEvent) -> None:
        self.calls += 1
        if self.always_fail or self.failures_left > 0:
            self.failures_left -= 1
            raise RuntimeError("probe handler failure")
        await session.execute(
            text("INSERT INTO probe_effects (event_id, area_code) VALUES (:e, :a)"),
            {"e": event.id, "a": event.areacode},
        )

    def spec(self) -> ConsumerSpec:
        spec = ConsumerSpec(name="probe", stream=MEMBERS)
        spec.handlers[OrgUnitCreated.event_type()] = self.handle
        return spec


async def effects(db: Database) -> list[tuple[str, str]]:
    """Rows the probe wrote."""
    async with db.read_only() as session:
        rows = (await session.execute(text("SELECT event_id, area_code FROM probe_effects"))).all()
    return [(r[0], r[1]) for r in rows]


ProbeFactory = Callable[..., AbstractAsyncContextManager[RunningService]]


@pytest.fixture
async def probe_db(databases: DatabaseFactory) -> str:
    """A database with the kit tables and the probe's effect table."""
    url = await databases.empty()
    EMPTY_VERSIONS.mkdir(exist_ok=True)
    await asyncio.to_thread(
        migrate.upgrade, url, EMPTY_VERSIONS, "grassroots.kit.tables:kit_metadata"
    )
    db = Database(url)
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE probe_effects (event_id text, area_code text)"))
    await db.dispose()
    return url


@pytest.fixture
def start_probe() -> Callable[..., AbstractAsyncContextManager[RunningService]]:
    """Start a probe service: `start_probe(db_url, nats_url, consumers=[...], **settings)`."""

    @asynccontextmanager
    async def start(
        database_url: str,
        nats_url: str,
        consumers: list[ConsumerSpec] | None = None,
        wait_ready: bool = True,
        **overrides: Any,
    ) -> AsyncIterator[RunningService]:
        settings = settings_for_tests(
            ProbeSettings, nats_url=nats_url, probe_database_url=database_url, **overrides
        )
        runtime = Runtime(settings, consumers or [])
        async with run_app(create_app(runtime, [], title="probe"), wait_ready=wait_ready) as s:
            yield s

    return start


EventWriter = Callable[[Runtime, int], Awaitable[None]]


async def write_events(runtime: Runtime, count: int, area_code: str = "230321100000") -> None:
    """Commit `count` events through the runtime's outbox."""
    async with runtime.db.transaction() as session:
        for n in range(count):
            await runtime.outbox.add(
                session,
                org_unit_created(n, area_code),
                area_code=area_code,
                aggregate_id=f"unit-{n}",
            )
