"""Harness for the portal's tests: the real app on SQLite or PostgreSQL, a movable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from grassroots.kit.testing.services import RunningService, run_app, settings_for_tests
from grassroots.portal.adapters.orm import audit
from grassroots.portal.config import PortalSettings
from grassroots.portal.main import build_app

ADMIN_PASSWORD = "the-tests-own-secret-42"
COUNTY = "230321000000"
TOWNSHIP = "230321100000"
OTHER_COUNTY = "230322000000"
# Cheap hashing for tests; bench/portal.py measures the production cost.
FAST_HASH = {
    "portal_argon2_time_cost": 1,
    "portal_argon2_memory_kib": 1024,
    "portal_argon2_parallelism": 1,
}


def password_of(username: str) -> str:
    """The good password the tests give `username` (never containing the username)."""
    return f"长青-{username[::-1]}-2026"


class MovableClock:
    """The portal's clock: real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        """Jump ahead."""
        self.offset += timedelta(seconds=seconds)


@dataclass
class Portal:
    """The running portal, its client and clock."""

    service: RunningService
    clock: MovableClock

    @property
    def client(self) -> httpx.AsyncClient:
        return self.service.client

    async def login(self, username: str, password: str, **extra: Any) -> httpx.Response:
        """POST /v1/auth/login."""
        body = {"username": username, "password": password, **extra}
        return await self.client.post("/v1/auth/login", json=body)

    async def bearer(self, username: str, password: str) -> dict[str, str]:
        """Authorization header of a fresh sign-in."""
        response = await self.login(username, password)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def admin(self) -> dict[str, str]:
        """The platform admin's header."""
        return await self.bearer("admin", ADMIN_PASSWORD)

    async def create_account(
        self, headers: dict[str, str], username: str, role: str, org: str, **extra: Any
    ) -> httpx.Response:
        """POST /v1/accounts with the password `password_of(username)`."""
        body = {
            "username": username,
            "password": password_of(username),
            "display_name": username,
            "role": role,
            "org": org,
            **extra,
        }
        return await self.client.post("/v1/accounts", json=body, headers=headers)

    async def audit_kinds(self) -> list[str]:
        """Every audit record's kind, oldest first."""
        async with self.service.runtime.db.read_only() as session:
            rows = await session.execute(select(audit.c.kind).order_by(audit.c.id))
        return list(rows.scalars())


def portal_settings(database_url: str, **overrides: Any) -> PortalSettings:
    """Test settings: fast hash, small lock-out thresholds, the test admin."""
    values: dict[str, Any] = {
        "portal_database_url": database_url,
        "portal_admin_password": ADMIN_PASSWORD,
        "portal_lock_after": 3,
        "portal_client_lock_after": 8,
        "portal_lock_base_seconds": 60,
        **FAST_HASH,
        **overrides,
    }
    settings = settings_for_tests(PortalSettings, **values)
    assert isinstance(settings, PortalSettings)
    return settings


async def migrated_sqlite(directory: Path) -> str:
    """A migrated SQLite database in `directory`."""
    import asyncio

    from grassroots.portal.main import SPEC

    url = f"sqlite+aiosqlite:///{directory / 'portal.db'}"
    settings = PortalSettings(portal_database_url=url)
    await asyncio.to_thread(SPEC.migrate, settings)
    return url


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[Portal]:
    """The portal on a migrated SQLite file (make run's default)."""
    clock = MovableClock()
    settings = portal_settings(await migrated_sqlite(tmp_path))
    async with run_app(build_app(settings, clock=clock)) as service:
        yield Portal(service, clock)
