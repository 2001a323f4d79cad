"""Recording events: every envelope is the kit outbox's; a batch goes in with one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.events.base import EventData
from grassroots.kit.outbox import Outbox
from grassroots.kit.tables import outbox as outbox_table
from grassroots.members.adapters.bulk_insert import insert_rows


@dataclass(frozen=True)
class PendingEvent:
    """An event to record: its data, the area whose subject carries it, and its aggregate."""

    data: EventData
    area_code: str
    aggregate_id: str


async def record_events(
    session: AsyncSession, outbox: Outbox, events: Sequence[PendingEvent], actor: str | None
) -> None:
    """Write the events into the outbox in the session's transaction (one row each, in order)."""
    if not events:
        return
    if len(events) == 1:
        event = events[0]
        await outbox.add(
            session,
            event.data,
            area_code=event.area_code,
            aggregate_id=event.aggregate_id,
            actor=actor,
        )
        return
    # A large import records two events per row: the rows go in with one bulk statement.
    rows = [
        Outbox.row(
            outbox.envelope(
                pending.data,
                area_code=pending.area_code,
                aggregate_id=pending.aggregate_id,
                actor=actor,
            ),
            pending.data,
        )
        for pending in events
    ]
    await insert_rows(session, outbox_table, rows)
