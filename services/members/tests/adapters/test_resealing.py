"""Re-sealing compares before it writes: a value changed since it was read is left alone."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select, update

from grassroots.kit.db import Database
from grassroots.kit.resealing import SealedColumn
from grassroots.kit.sealing import KeyRing
from grassroots.members.adapters.resealing import SEALED_COLUMNS, SEALED_TABLES, reseal_rows

metadata = MetaData()
people = Table(
    "people",
    metadata,
    Column("id", String, primary_key=True),
    Column("id_number_enc", String),
    Column("phone_enc", String),
)
COLUMNS = (
    SealedColumn(people, "id_number_enc", "id_number"),
    SealedColumn(people, "phone_enc", "phone"),
)


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


OLD, NEW = key(), key()
BEFORE = KeyRing({"old": OLD}, "old")
AFTER = KeyRing({"old": OLD, "new": NEW}, "new")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reseal.db'}")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with db.transaction() as session:
        await session.execute(
            insert(people),
            [
                {
                    "id": f"p{i}",
                    "id_number_enc": BEFORE.seal(f"id-{i}", record_id=f"p{i}", field="id_number"),
                    "phone_enc": (
                        BEFORE.seal(f"139{i}", record_id=f"p{i}", field="phone") if i % 2 else None
                    ),
                }
                for i in range(5)
            ],
        )
    yield db
    await db.dispose()


async def rows(db: Database) -> dict[str, Any]:
    async with db.read_only() as session:
        return {r.id: r for r in (await session.execute(select(people))).all()}


async def test_rows_are_counted_once_and_every_value_moves_to_the_active_key(
    database: Database,
) -> None:
    async with database.transaction() as session:
        assert await reseal_rows(session, AFTER, COLUMNS, batch=3) == 3
    async with database.transaction() as session:
        assert await reseal_rows(session, AFTER, COLUMNS, batch=3) == 2
    async with database.transaction() as session:
        assert await reseal_rows(session, AFTER, COLUMNS, batch=3) == 0
    for record_id, row in (await rows(database)).items():
        assert row.id_number_enc.startswith(AFTER.active_prefix)
        assert AFTER.open(row.id_number_enc, record_id=record_id, field="id_number") == (
            f"id-{record_id[1:]}"
        )
        if row.phone_enc is not None:
            assert row.phone_enc.startswith(AFTER.active_prefix)


class WriterBetween:
    """A session through which a concurrent write lands after the batch is read."""

    def __init__(self, session: Any, record_id: str, value: str) -> None:
        self._session, self._record_id, self._value = session, record_id, value
        self._reads = 0

    async def execute(self, statement: Any, *args: Any) -> Any:
        result = await self._session.execute(statement, *args)
        self._reads += 1
        if self._reads == 1:
            await self._session.execute(
                update(people).where(people.c.id == self._record_id).values(phone_enc=self._value)
            )
            # Materialise the read before the write changes what it would yield.
            return _Rows(result.all())
        return result


class _Rows:
    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def all(self) -> list[Any]:
        return self._rows


async def test_a_value_written_meanwhile_wins(database: Database) -> None:
    fresh = AFTER.seal("13800000000", record_id="p1", field="phone")
    async with database.transaction() as session:
        changed = await reseal_rows(WriterBetween(session, "p1", fresh), AFTER, COLUMNS)  # type: ignore[arg-type]
    assert changed == 4  # p1 was left as the concurrent writer made it
    after = await rows(database)
    assert after["p1"].phone_enc == fresh
    assert after["p1"].id_number_enc.startswith(BEFORE.active_prefix)
    assert all(
        r.id_number_enc.startswith(AFTER.active_prefix) for k, r in after.items() if k != "p1"
    )


def test_the_reseal_command_and_the_route_cover_the_same_columns() -> None:
    assert [c.name for c in SEALED_COLUMNS] == [
        "members.id_number_enc",
        "members.phone_enc",
        "floating_spells.destination_enc",
    ]
    assert all(len({c.table.name for c in table}) == 1 for table in SEALED_TABLES)
