"""Group commit on PostgreSQL and SQLite: shared transactions, failures isolated, nothing lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError

from grassroots.kit import metrics
from grassroots.kit.clock import as_utc
from grassroots.kit.db import Database, new_metadata
from grassroots.kit.groupcommit import GroupCommit
from grassroots.kit.testing.services import DatabaseFactory, scratch_database

pytestmark = pytest.mark.component

metadata = new_metadata()
parents = Table(
    "gc_parents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(20), nullable=False, unique=True),
)
children = Table(
    "gc_children",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("parent_id", Integer, ForeignKey("gc_parents.id"), nullable=False),
    Column("note", String(50), nullable=False),
    Column("details", JSON, nullable=True),
    Column("sealed", LargeBinary, nullable=True),
    Column("at", DateTime(timezone=True), nullable=True),
    Column("flag", Boolean, nullable=True),
)


@pytest.fixture(params=["postgresql", "sqlite"])
async def db(
    request: pytest.FixtureRequest, databases: DatabaseFactory, tmp_path: Path
) -> AsyncIterator[Database]:
    async with scratch_database(request.param, metadata, databases, tmp_path) as database:
        yield database


def unit_of_work(n: int, code: str | None = None) -> list[tuple[Table, dict[str, object]]]:
    """A parent and two children that refer to it (the parent must go in first)."""
    return [
        (parents, {"id": n, "code": code or f"c{n}"}),
        (children, {"parent_id": n, "note": f"first of {n}"}),
        (
            children,
            {
                "parent_id": n,
                "note": f"second of {n}",
                "details": {"n": n, "words": ["低保", "代办"], "nested": {"ok": True}},
                "sealed": bytes([n % 256, 0, 255]),
                "at": datetime(2026, 11, 22, 8, 30, tzinfo=UTC) + timedelta(minutes=n),
                "flag": n % 2 == 0,
            },
        ),
    ]


async def count(db: Database, table: Table) -> int:
    async with db.read_only() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def batches_observed(name: str) -> tuple[float, float]:
    """(callers, transactions) the batch-size histogram has seen for writer `name`."""
    total = calls = 0.0
    for metric in metrics.GROUP_COMMIT_BATCH.collect():
        for sample in metric.samples:
            if sample.labels.get("writer") != name:
                continue
            if sample.name.endswith("_sum"):
                total = sample.value
            elif sample.name.endswith("_count"):
                calls = sample.value
    return total, calls


async def test_concurrent_callers_share_transactions_and_all_rows_land(db: Database) -> None:
    name = f"concurrent-{db.engine.dialect.name}"
    writer = GroupCommit(db, name=name, max_batch=50)
    commits: list[int] = []
    db.on_commit(lambda: commits.append(1))
    await asyncio.gather(*(writer.write(unit_of_work(n)) for n in range(1, 301)))
    assert await count(db, parents) == 300
    assert await count(db, children) == 600
    callers, transactions = batches_observed(name)
    assert callers == 300
    # Callers arriving while a transaction is in flight wait for the next one together.
    assert transactions < 300
    assert len(commits) == transactions
    # Every kind of value comes back as it went in.
    async with db.read_only() as session:
        row = (
            await session.execute(select(children).where(children.c.note == "second of 7"))
        ).one()
    assert row.details == {"n": 7, "words": ["低保", "代办"], "nested": {"ok": True}}
    assert row.sealed == bytes([7, 0, 255])
    assert as_utc(row.at) == datetime(2026, 11, 22, 8, 37, tzinfo=UTC)
    assert row.flag is False


async def test_a_lone_caller_is_committed_at_once(db: Database) -> None:
    writer = GroupCommit(db, name=f"lone-{db.engine.dialect.name}")
    await asyncio.wait_for(writer.write(unit_of_work(1)), timeout=10)
    assert await count(db, children) == 2


async def test_a_failing_caller_fails_alone_and_the_others_of_its_batch_land(
    db: Database,
) -> None:
    writer = GroupCommit(db, name=f"isolated-{db.engine.dialect.name}", max_parallel=1)
    await writer.write(unit_of_work(1, code="taken"))
    # Same unique code as parent 1: this caller's whole unit of work must be refused.
    outcomes = await asyncio.gather(
        *(writer.write(unit_of_work(n)) for n in range(2, 12)),
        writer.write(unit_of_work(99, code="taken")),
        *(writer.write(unit_of_work(n)) for n in range(12, 22)),
        return_exceptions=True,
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], IntegrityError)
    assert await count(db, parents) == 21
    # None of the refused caller's rows were written, not even its children.
    async with db.read_only() as session:
        orphans = await session.scalar(
            select(func.count()).select_from(children).where(children.c.parent_id == 99)
        )
    assert orphans == 0
    assert await count(db, children) == 42
