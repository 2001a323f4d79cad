"""The one door to the outbox: the events a request raised, written by the kit's `Outbox`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from grassroots.kit.db import AsyncSession
from grassroots.kit.outbox import Outbox
from grassroots.kit.tables import outbox as outbox_table
from grassroots.requests.adapters.repository import Write
from grassroots.requests.domain.request import RaisedEvent, raised


async def add_events(outbox: Outbox, session: AsyncSession, events: Iterable[RaisedEvent]) -> None:
    """Add each event to the outbox inside `session`'s transaction, in order."""
    for event in events:
        await outbox.add(
            session,
            event.data,
            area_code=event.area_code,
            aggregate_id=event.aggregate_id,
            actor=event.actor,
        )


def outbox_rows(outbox: Outbox, events: Iterable[RaisedEvent]) -> list[Write]:
    """The outbox rows of `events`, for writers that insert rows themselves (group commit)."""
    rows: list[Write] = []
    for event in events:
        envelope = outbox.envelope(
            event.data,
            area_code=event.area_code,
            aggregate_id=event.aggregate_id,
            actor=event.actor,
        )
        rows.append((outbox_table, outbox.row(envelope, event.data)))
    return rows


async def emit(
    outbox: Outbox,
    session: AsyncSession,
    action: str,
    row: dict[str, Any],
    *,
    occurred_at: datetime,
    actor: str,
    **extra: Any,
) -> None:
    """Add the event of `action` on the request as it now stands (`row`)."""
    await add_events(
        outbox, session, [raised(action, row, occurred_at=occurred_at, actor=actor, **extra)]
    )
