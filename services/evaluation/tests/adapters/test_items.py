"""The store behind propose-and-decide-once items, on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from grassroots.evaluation.adapters.items import bonus_store, review_store
from grassroots.evaluation.adapters.orm import metadata
from grassroots.kit.db import Database

NOW = datetime(2026, 11, 3, 9, tzinfo=UTC)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield db
    await db.dispose()


def bonus_row(item_id: str, unit: str = "village-1") -> dict[str, Any]:
    return {
        "id": item_id,
        "org_unit_id": unit,
        "period": "2026-11",
        "points": 2.0,
        "reason": "创新做法",
        "evidence": None,
        "status": "proposed",
        "proposed_by": "cadre-1",
        "decided_by": None,
        "created_at": NOW,
        "not_a_column": "left out",
    }


async def test_items_are_added_read_decided_and_paged_by_id(database: Database) -> None:
    async with database.transaction() as session:
        for n in range(5):
            assert await bonus_store.add(session, bonus_row(f"b{n}"))
        assert await bonus_store.add(session, bonus_row("other", unit="village-2"))
        await bonus_store.change(session, "b1", {"status": "approved", "decided_by": "admin"})
    async with database.read_only() as session:
        decided = await bonus_store.get(session, "b1")
        assert decided is not None
        assert (decided["status"], decided["decided_by"]) == ("approved", "admin")
        assert "not_a_column" not in decided
        assert await bonus_store.get(session, "missing") is None
        first, more = await bonus_store.page(session, after=None, limit=2, org_unit_id="village-1")
        assert [r["id"] for r in first] == ["b0", "b1"] and more
        rest, more = await bonus_store.page(session, after="b1", limit=5, org_unit_id="village-1")
        assert [r["id"] for r in rest] == ["b2", "b3", "b4"] and not more


async def test_a_second_review_of_the_same_unit_and_period_is_refused_and_leaves_the_first(
    database: Database,
) -> None:
    review = {
        "org_unit_id": "village-1",
        "period": "2026-11",
        "weights": {"self": 20.0},
        "created_by": "cadre-1",
        "created_at": NOW,
    }
    async with database.transaction() as session:
        assert await review_store.add(session, {"id": "r1", **review})
        assert not await review_store.add(session, {"id": "r2", **review})
        # The refusal rolled back its savepoint only: the session goes on.
        assert await review_store.get(session, "r1") is not None
    async with database.read_only() as session:
        assert await review_store.get(session, "r2") is None
        assert await review_store.get(session, "r1") is not None
