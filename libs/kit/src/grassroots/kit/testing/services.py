"""Run a service in-process for tests: its real app, lifespan, relay and consumers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import MetaData

from grassroots.kit.app import Runtime
from grassroots.kit.auth import Role, issue_token
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.db import Database
from grassroots.kit.settings import ServiceSettings
from grassroots.kit.testing.servers import PostgresServer

TEST_JWT_SECRET = "test-secret-for-the-harness-only"  # noqa: S105


def token(role: Role = "platform_admin", org: str = "000000000000", sub: str = "tester") -> str:
    """A bearer token signed with the harness secret."""
    return issue_token(TEST_JWT_SECRET, sub=sub, role=role, org=org)


def auth(
    role: Role = "platform_admin", org: str = "000000000000", sub: str = "tester"
) -> dict[str, str]:
    """Authorization header for `token(...)`."""
    return {"Authorization": f"Bearer {token(role, org, sub)}"}


@dataclass
class RunningService:
    """A service running in this process, with an HTTP client bound to its app."""

    app: FastAPI
    runtime: Runtime
    client: httpx.AsyncClient


@asynccontextmanager
async def run_service(
    spec: ServiceSpec,
    *,
    database_url: str,
    nats_url: str,
    wait_ready: bool = True,
    **overrides: Any,
) -> AsyncIterator[RunningService]:
    """Start `spec`'s app (lifespan included) against the given database and NATS."""
    settings_class: type[ServiceSettings] = spec.settings_factory  # type: ignore[assignment]
    settings = settings_for_tests(
        settings_class,
        nats_url=nats_url,
        **{f"{spec.name}_database_url": database_url},
        **overrides,
    )
    async with run_app(spec.app_factory(settings), wait_ready=wait_ready) as service:
        yield service


def settings_for_tests(settings_class: type[ServiceSettings], **overrides: Any) -> ServiceSettings:
    """Settings tuned for tests: harness secret, quick polling and back-off."""
    values: dict[str, Any] = {
        "env": "test",
        "jwt_secret": TEST_JWT_SECRET,
        "log_json": False,
        "outbox_poll_seconds": 0.1,
        "consumer_backoff_seconds": [0.2, 0.2, 0.2, 0.2],
        "consumer_ack_wait_seconds": 5,
    }
    values.update(overrides)
    return settings_class(**values)


@asynccontextmanager
async def run_app(app: FastAPI, *, wait_ready: bool = True) -> AsyncIterator[RunningService]:
    """Run an app's lifespan in this process and give an HTTP client bound to it."""
    runtime: Runtime = app.state.runtime
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        if wait_ready:
            await asyncio.wait_for(runtime.ready.wait(), timeout=30)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield RunningService(app=app, runtime=runtime, client=client)


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 20.0, interval: float = 0.05
) -> None:
    """Wait until `check()` is true; fail the test when it never becomes true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await check():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check.__name__}")
        await asyncio.sleep(interval)


class DatabaseFactory:
    """Fresh PostgreSQL databases, each cloned from a per-service migrated template."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self._templates: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def _execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.server.dsn())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def template(self, spec: ServiceSpec) -> str:
        """Name of the database holding `spec`'s migrated schema (made once)."""
        async with self._lock:
            if spec.name not in self._templates:
                name = f"tmpl_{spec.name}"
                await self._execute(f'DROP DATABASE IF EXISTS "{name}"')
                await self._execute(f'CREATE DATABASE "{name}"')
                settings = spec.settings_factory(  # type: ignore[call-arg]
                    **{f"{spec.name}_database_url": self.server.url(name)}
                )
                await asyncio.to_thread(spec.migrate, settings)
                self._templates[spec.name] = name
            return self._templates[spec.name]

    async def fresh(self, spec: ServiceSpec) -> str:
        """URL of a new, migrated, empty database for `spec`."""
        template = await self.template(spec)
        name = f"t_{spec.name}_{uuid.uuid4().hex[:10]}"
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.server.url(name)

    async def empty(self) -> str:
        """URL of a new database with no schema at all."""
        name = f"e_{uuid.uuid4().hex[:10]}"
        await self._execute(f'CREATE DATABASE "{name}"')
        return self.server.url(name)


@asynccontextmanager
async def scratch_database(
    kind: str, metadata: MetaData, databases: DatabaseFactory, directory: Path
) -> AsyncIterator[Database]:
    """A throwaway database holding `metadata`'s tables: `postgresql` or `sqlite` (in
    `directory`), for kit tests of mechanisms that run on both."""
    if kind == "postgresql":
        url = await databases.empty()
    else:
        url = f"sqlite+aiosqlite:///{directory / 'scratch.db'}"
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()
