"""Dispatch, return, extension and co-handling events in the database, and their counts.

`record_new` inserts each event's row once (by its key) and answers the keys that were not
there yet; only those move the monthly counts, so redeliveries and a rebuild running beside
the live consumer count every event once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.orm import handling_events, unit_month_handling
from grassroots.evaluation.domain.handling import HandlingEvent
from grassroots.evaluation.domain.indicators import HANDLING_COUNT_FIELDS
from grassroots.kit.db import dialect_insert, insert_ignoring


async def record_new(session: AsyncSession, events: Sequence[HandlingEvent]) -> set[str]:
    """Insert the events not stored yet (once per key); the keys of those inserted now."""
    unique = {e.key: e for e in events}
    if not unique:
        return set()
    rows = [
        {
            "event_key": e.key,
            "request_id": e.request_id,
            "kind": e.kind,
            "unit_id": e.unit_id,
            "month": e.month,
            "score": e.score,
        }
        for e in sorted(unique.values(), key=lambda e: e.key)
    ]
    statement = insert_ignoring(session, handling_events, ["event_key"]).returning(
        handling_events.c.event_key
    )
    result = await session.execute(statement, rows)
    return set(result.scalars().all())


async def add_handling_counts(
    session: AsyncSession, rows: Sequence[tuple[str, str, dict[str, int]]]
) -> None:
    """Add (unit, month, counts by name) to the monthly handling counts, in the given order
    (callers sort them, so concurrent writers lock the same rows in the same order)."""
    if not rows:
        return
    statement = dialect_insert(session)(unit_month_handling)
    statement = statement.on_conflict_do_update(
        index_elements=["unit_id", "month"],
        set_={
            name: unit_month_handling.c[name] + statement.excluded[name]
            for name in HANDLING_COUNT_FIELDS
        },
    )
    values: list[dict[str, Any]] = [
        {"unit_id": unit, "month": month, **{n: counts.get(n, 0) for n in HANDLING_COUNT_FIELDS}}
        for unit, month, counts in rows
    ]
    await session.execute(statement, values)
