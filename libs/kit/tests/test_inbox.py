"""Claiming a batch of event ids in the inbox, on SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from grassroots.kit import migrate
from grassroots.kit.db import Database
from grassroots.kit.inbox import claim_event, claim_events
from grassroots.kit.testing.services import DatabaseFactory

from .conftest import EMPTY_VERSIONS


async def _claims(url: str) -> None:
    EMPTY_VERSIONS.mkdir(exist_ok=True)
    await asyncio.to_thread(
        migrate.upgrade, url, EMPTY_VERSIONS, "grassroots.kit.tables:kit_metadata"
    )
    db = Database(url)
    try:
        ids = [f"e{n:04d}" for n in range(600)]
        async with db.transaction() as session:
            assert await claim_event(session, "c", "e0007")
        async with db.transaction() as session:
            claimed = await claim_events(session, "c", ids + ids[:50])
        assert claimed == set(ids) - {"e0007"}
        async with db.transaction() as session:
            assert await claim_events(session, "c", ids) == set()
            assert await claim_events(session, "other", ids[:3]) == set(ids[:3])
            assert await claim_events(session, "c", []) == set()
    finally:
        await db.dispose()


async def test_a_batch_claims_only_the_new_ids_on_sqlite(tmp_path: Path) -> None:
    await _claims(f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}")


@pytest.mark.component
async def test_a_batch_claims_only_the_new_ids_on_postgresql(databases: DatabaseFactory) -> None:
    await _claims(await databases.empty())
