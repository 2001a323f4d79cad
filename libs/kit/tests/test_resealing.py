"""Re-sealing after a key rotation, over PostgreSQL and SQLite (text and binary columns)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, insert, select

from grassroots.kit.db import Database
from grassroots.kit.resealing import SealedColumn, reseal_columns
from grassroots.kit.sealing import FernetReader, KeyRing, new_key
from grassroots.kit.testing.services import DatabaseFactory, scratch_database

pytestmark = pytest.mark.component

metadata = MetaData()
people = Table(
    "reseal_people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("phone_enc", String(300), nullable=True),
    Column("notes_enc", LargeBinary, nullable=True),
)


@pytest.fixture(params=["postgresql", "sqlite"])
async def db(
    request: pytest.FixtureRequest, databases: DatabaseFactory, tmp_path: Path
) -> AsyncIterator[Database]:
    async with scratch_database(request.param, metadata, databases, tmp_path) as database:
        yield database


async def test_values_of_old_keys_and_legacy_values_move_to_the_active_key(db: Database) -> None:
    old, new, fernet_key = new_key(), new_key(), Fernet.generate_key().decode()
    before = KeyRing({"k1": old}, "k1")
    fernet = Fernet(fernet_key.encode())
    rows = [
        {
            "id": f"p{i:03d}",
            "phone_enc": before.seal(f"1380000{i:04d}", record_id=f"p{i:03d}", field="phone"),
            "notes_enc": fernet.encrypt(f"note {i}".encode()) if i % 2 else None,
        }
        for i in range(7)
    ]
    async with db.transaction() as session:
        await session.execute(insert(people), rows)
    during = KeyRing(
        {"k1": old, "k2": new, "data": fernet_key}, "k2", legacy=[FernetReader(fernet_key)]
    )
    columns = [
        SealedColumn(people, "phone_enc", "phone"),
        SealedColumn(people, "notes_enc", "notes"),
    ]
    changed = await reseal_columns(db, during, columns, batch=3)
    assert changed == {"reseal_people.phone_enc": 7, "reseal_people.notes_enc": 3}
    assert await reseal_columns(db, during, columns, batch=3) == {
        "reseal_people.phone_enc": 0,
        "reseal_people.notes_enc": 0,
    }
    after = KeyRing({"k2": new}, "k2")
    async with db.read_only() as session:
        stored = (await session.execute(select(people).order_by(people.c.id))).all()
    for i, row in enumerate(stored):
        assert after.open(row.phone_enc, record_id=row.id, field="phone") == f"1380000{i:04d}"
        if i % 2:
            assert bytes(row.notes_enc).startswith(b"v1:k2:")
            assert after.open(row.notes_enc, record_id=row.id, field="notes") == f"note {i}"
        else:
            assert row.notes_enc is None
