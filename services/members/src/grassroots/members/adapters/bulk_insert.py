"""Bulk inserts: PostgreSQL COPY inside the session's transaction, executemany elsewhere."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction (COPY on PostgreSQL: several times faster)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(insert(table), list(rows))
        return
    columns = [c for c in table.columns if c.name in rows[0]]
    as_json = [isinstance(c.type, JSON) for c in columns]
    names = [c.name for c in columns]
    records = [
        tuple(
            json.dumps(row[name], ensure_ascii=False) if is_json else row[name]
            for name, is_json in zip(names, as_json, strict=True)
        )
        for row in rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=names)
