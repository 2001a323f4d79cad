"""Build the public event of each transition and add it to the outbox with the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.events.base import AggregateEvent
from grassroots.contracts.events.requests import (
    CallbackRecorded,
    CoHandlerAdded,
    CoTaskDone,
    CoTaskScored,
    ExtensionDecided,
    ExtensionRequested,
    FeedbackGiven,
    RequestAccepted,
    RequestAssigned,
    RequestChased,
    RequestClosed,
    RequestDispatched,
    RequestEscalated,
    RequestExplained,
    RequestOverdue,
    RequestReopened,
    RequestResolved,
    RequestResumed,
    RequestReturned,
    RequestStarted,
    RequestSubmitted,
    RequestSupervised,
    RequestWaiting,
    ReturnDecided,
)
from grassroots.kit.outbox import Outbox
from grassroots.kit.tables import outbox as outbox_table

EVENT_OF_ACTION: dict[str, type[AggregateEvent]] = {
    "submit": RequestSubmitted,
    "accept": RequestAccepted,
    "assign": RequestAssigned,
    "start": RequestStarted,
    "escalate": RequestEscalated,
    "explain": RequestExplained,
    "resolve": RequestResolved,
    "feedback": FeedbackGiven,
    "reopen": RequestReopened,
    "overdue": RequestOverdue,
    "close": RequestClosed,
    "dispatch": RequestDispatched,
    "return": RequestReturned,
    "uphold_return": ReturnDecided,
    "reject_return": ReturnDecided,
    "wait": RequestWaiting,
    "resume": RequestResumed,
    "co_handler_added": CoHandlerAdded,
    "co_task_done": CoTaskDone,
    "co_task_scored": CoTaskScored,
    "extension_requested": ExtensionRequested,
    "extension_decided": ExtensionDecided,
    "chased": RequestChased,
    "supervised": RequestSupervised,
    "callback": CallbackRecorded,
}


def event_data(
    action: str, row: dict[str, Any], *, occurred_at: datetime, **extra: Any
) -> AggregateEvent:
    """The event of `action` on the request as it now stands (`row`)."""
    model = EVENT_OF_ACTION[action]
    return model(
        request_id=row["id"],
        org_unit_id=row["org_unit_id"],
        area_code=row["area_code"],
        service_code=row["service_code"],
        status=row["status"],
        due_at=row["due_at"],
        handler_member_id=row.get("handler_member_id"),
        version=row["version"],
        occurred_at=occurred_at,
        **extra,
    )


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
    """Record the event of `action` on the request as it now stands (`row`)."""
    data = event_data(action, row, occurred_at=occurred_at, **extra)
    # The subject carries the area of the unit holding the request, so tiers filter by it.
    await outbox.add(
        session, data, area_code=row["org_area_code"], aggregate_id=row["id"], actor=actor
    )


def event_row(
    outbox: Outbox,
    action: str,
    row: dict[str, Any],
    *,
    occurred_at: datetime,
    actor: str,
    **extra: Any,
) -> tuple[Table, dict[str, Any]]:
    """The outbox row of `action`'s event, for writers that insert rows themselves."""
    data = event_data(action, row, occurred_at=occurred_at, **extra)
    event = outbox.envelope(
        data, area_code=row["org_area_code"], aggregate_id=row["id"], actor=actor
    )
    return outbox_table, outbox.row(event, data)
