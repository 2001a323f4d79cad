"""Request facts and monthly counts in the database, a whole batch per statement.

On PostgreSQL each step is one statement over arrays (`unnest`) on the session's own asyncpg
connection, inside the session's transaction; on SQLite the same steps go through SQLAlchemy.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.orm import UNIT_MONTH_COUNTS, request_facts, unit_month_counts
from grassroots.evaluation.domain.facts import RequestFacts
from grassroots.kit.clock import as_utc
from grassroots.kit.db import dialect_insert

FACT_FIELDS = tuple(f.name for f in fields(RequestFacts))
_DATETIMES = ("received_at", "responded_at", "resolved_at", "resolved_due_at")
FACT_COLUMNS = tuple(c.name for c in request_facts.c)

# Merges of the same request are serialised by transaction-scoped advisory locks on a fixed
# number of buckets (request id → bucket), taken in ascending order: a batch takes at most
# LOCK_BUCKETS locks however many requests it touches, and two writers cannot deadlock.
LOCK_SPACE = 0x65765F66  # "ev_f": this table's key space for pg_advisory_xact_lock(int, int)
LOCK_BUCKETS = 1024


def lock_buckets(request_ids: Iterable[str]) -> list[int]:
    """The sorted advisory-lock buckets of these requests (stable across processes)."""
    return sorted({zlib.crc32(i.encode()) % LOCK_BUCKETS for i in request_ids})


def _array_type(column: Any) -> str:
    kind = column.type
    if isinstance(kind, DateTime):
        return "timestamptz[]"
    if isinstance(kind, Boolean):
        return "bool[]"
    if isinstance(kind, Integer):
        return "int4[]"
    if isinstance(kind, String):
        return "text[]"
    raise TypeError(f"no array type for {column.name}")


def _upsert_from_arrays(table: Any, keys: Sequence[str], set_clause: str) -> str:
    names = [c.name for c in table.c]
    arrays = ", ".join(f"${n}::{_array_type(c)}" for n, c in enumerate(table.c, start=1))
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {set_clause}"
    )


_SAVE_FACTS_SQL = _upsert_from_arrays(
    request_facts,
    ["request_id"],
    ", ".join(f"{n} = EXCLUDED.{n}" for n in FACT_COLUMNS if n != "request_id"),
)
_ADD_COUNTS_SQL = _upsert_from_arrays(
    unit_month_counts,
    ["unit_id", "month"],
    ", ".join(f"{n} = {unit_month_counts.name}.{n} + EXCLUDED.{n}" for n in UNIT_MONTH_COUNTS),
)
_LOAD_FACTS_SQL = (
    f"SELECT {', '.join(FACT_FIELDS)} FROM {request_facts.name} WHERE request_id = ANY($1::text[])"
)
_LOCK_SQL = "SELECT pg_advisory_xact_lock($1::int4, b) FROM unnest($2::int4[]) AS b"


async def asyncpg_connection(session: AsyncSession) -> Any | None:
    """The session's asyncpg connection with its transaction begun (None off PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if not driver.is_in_transaction():
        # SQLAlchemy begins the transaction lazily, with the first statement it runs itself.
        await session.execute(text("SELECT 1"))
    return driver


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


async def lock_requests(session: AsyncSession, request_ids: Iterable[str]) -> None:
    """Serialise concurrent merges of the same requests (a live consumer beside a rebuild)."""
    pg = await asyncpg_connection(session)
    if pg is None:
        return  # SQLite writers are serialised by the kit's write lock
    await pg.execute(_LOCK_SQL, LOCK_SPACE, lock_buckets(request_ids))


async def load_facts(session: AsyncSession, request_ids: list[str]) -> dict[str, RequestFacts]:
    """The stored facts of these requests (those known)."""
    if not request_ids:
        return {}
    pg = await asyncpg_connection(session)
    if pg is not None:
        rows: Iterable[Any] = await pg.fetch(_LOAD_FACTS_SQL, request_ids)
        return {row["request_id"]: RequestFacts(*row) for row in rows}
    columns = [request_facts.c[name] for name in FACT_FIELDS]
    result = await session.execute(
        select(*columns).where(request_facts.c.request_id.in_(request_ids))
    )
    out = {}
    for row in result.all():
        values = dict(zip(FACT_FIELDS, row, strict=True))
        for key in _DATETIMES:
            values[key] = _aware(values[key])  # SQLite hands back naive UTC
        out[row.request_id] = RequestFacts(**values)
    return out


def fact_from_row(row: Any) -> RequestFacts:
    """Facts from a selected `ev_request_facts` row (other selected columns are ignored)."""
    values = {name: getattr(row, name) for name in FACT_FIELDS}
    for key in _DATETIMES:
        values[key] = _aware(values[key])
    return RequestFacts(**values)


def _fact_row(facts: RequestFacts) -> dict[str, Any]:
    row = {name: getattr(facts, name) for name in FACT_COLUMNS}
    for key in _DATETIMES:
        row[key] = _aware(row[key])
    return row


async def save_facts(session: AsyncSession, facts: Sequence[RequestFacts]) -> None:
    """Insert or replace these facts (with the derived columns)."""
    if not facts:
        return
    pg = await asyncpg_connection(session)
    if pg is not None:
        columns = [[getattr(f, name) for f in facts] for name in FACT_COLUMNS]
        await pg.execute(_SAVE_FACTS_SQL, *columns)
        return
    statement = dialect_insert(session)(request_facts)
    statement = statement.on_conflict_do_update(
        index_elements=["request_id"],
        set_={
            c.name: statement.excluded[c.name] for c in request_facts.c if c.name != "request_id"
        },
    )
    await session.execute(statement, [_fact_row(f) for f in facts])


async def add_counts(session: AsyncSession, rows: Sequence[tuple[str, str, Sequence[int]]]) -> None:
    """Add (unit, month, counts in UNIT_MONTH_COUNTS order) to the monthly counts.

    Rows are applied in the given order: callers sort them, so concurrent writers lock the
    same rows in the same order.
    """
    if not rows:
        return
    pg = await asyncpg_connection(session)
    if pg is not None:
        arrays: list[list[Any]] = [[r[0] for r in rows], [r[1] for r in rows]]
        arrays += [[r[2][i] for r in rows] for i in range(len(UNIT_MONTH_COUNTS))]
        await pg.execute(_ADD_COUNTS_SQL, *arrays)
        return
    statement = dialect_insert(session)(unit_month_counts)
    statement = statement.on_conflict_do_update(
        index_elements=["unit_id", "month"],
        set_={
            name: unit_month_counts.c[name] + statement.excluded[name] for name in UNIT_MONTH_COUNTS
        },
    )
    values = [
        {"unit_id": unit, "month": month, **dict(zip(UNIT_MONTH_COUNTS, counts, strict=True))}
        for unit, month, counts in rows
    ]
    await session.execute(statement, values)
