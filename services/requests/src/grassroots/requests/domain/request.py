"""The request aggregate: one citizen's request as it changes through the state machine.

A `Request` wraps the stored row it was loaded from. Each transition (`transition`) or step
that keeps the status (`record`) goes through the state machine, grows the version, notes
the history entry and raises the public event of the change; the repository writes what
changed (guarded by the version it was loaded at), and the use case hands `pull_events()`
to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grassroots.contracts.events.base import AggregateEvent, EventData
from grassroots.contracts.events.requests import (
    AttachmentAdded,
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
    RequestMerged,
    RequestOverdue,
    RequestReopened,
    RequestResolved,
    RequestResumed,
    RequestReturned,
    RequestStarted,
    RequestSubmitted,
    RequestSupervised,
    RequestUnmerged,
    RequestWaiting,
    ReturnDecided,
)
from grassroots.requests.domain.machine import Action, RequestState, Status

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
    "merge": RequestMerged,
    "unmerge": RequestUnmerged,
    "attachment_added": AttachmentAdded,
}


@dataclass(frozen=True)
class RaisedEvent:
    """An event for the outbox: its data, the area of its subject, whose it is, who caused it."""

    data: EventData
    area_code: str
    aggregate_id: str
    actor: str


def event_of(
    action: str, row: Mapping[str, Any], *, occurred_at: datetime, **extra: Any
) -> AggregateEvent:
    """The public event of `action` on the request as it now stands (`row`)."""
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


def raised(
    action: str, row: Mapping[str, Any], *, occurred_at: datetime, actor: str, **extra: Any
) -> RaisedEvent:
    """`event_of` addressed for the outbox: the subject carries the holding unit's area."""
    return RaisedEvent(
        event_of(action, row, occurred_at=occurred_at, **extra),
        area_code=row["org_area_code"],
        aggregate_id=row["id"],
        actor=actor,
    )


def history_entry(
    row: Mapping[str, Any],
    action: str,
    from_status: str | None,
    actor: str,
    at: datetime,
    *,
    note: str | None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The history entry of a step that left the request as `row`."""
    return {
        "details": details,
        "request_id": row["id"],
        "version": row["version"],
        "action": action,
        "from_status": from_status,
        "to_status": row["status"],
        "actor": actor,
        "org_unit_id": row["org_unit_id"],
        "note": note,
        "at": at,
    }


def state_of(row: Mapping[str, Any]) -> RequestState:
    """The state machine's view of a row."""
    return RequestState(
        status=Status(row["status"]),
        version=row["version"],
        handler_member_id=row["handler_member_id"],
        rated=row["rating"] is not None,
        paused_from=Status(row["paused_from"]) if row.get("paused_from") else None,
        open_co_tasks=row.get("open_co_tasks") or 0,
    )


@dataclass(frozen=True)
class Change:
    """What one transition writes besides the machine's own fields, and how it is told."""

    note: str | None = None
    values: Mapping[str, Any] | None = None
    details: dict[str, Any] | None = None
    event_extra: Mapping[str, Any] | None = None
    # The event and history names when they differ from the action's (a return's decision).
    event_action: str | None = None
    history_action: str | None = None


class Request:
    """A request loaded for a change: its row, the changes made, the history and events raised."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.row: dict[str, Any] = dict(row)
        self.loaded_version: int = self.row["version"]
        self.changed: dict[str, Any] = {}
        self.history: list[dict[str, Any]] = []
        self._events: list[RaisedEvent] = []

    @property
    def id(self) -> str:
        """The request's id."""
        return str(self.row["id"])

    @property
    def status(self) -> Status:
        """Where it stands now."""
        return Status(self.row["status"])

    def transition(
        self,
        action: Action,
        *,
        actor: str,
        at: datetime,
        change: Change = Change(),
        handler_member_id: str | None = None,
        restore: Status | None = None,
    ) -> None:
        """Apply `action` through the state machine (IllegalTransition if not allowed)."""
        before = state_of(self.row)
        after = before.apply(action, handler_member_id=handler_member_id, restore=restore)
        self._write(
            {
                "status": after.status.value,
                "version": after.version,
                "handler_member_id": after.handler_member_id,
                "paused_from": after.paused_from.value if after.paused_from else None,
                "updated_at": at,
                **(change.values or {}),
            }
        )
        self._tell(
            change.history_action or action.value,
            change.event_action or action.value,
            before.status.value,
            actor,
            at,
            change,
        )

    def record(self, action: str, *, actor: str, at: datetime, change: Change = Change()) -> None:
        """A step that keeps the status (a reminder, an extension, a helper's task)."""
        from_status = self.row["status"]
        self._write({**(change.values or {}), "version": self.row["version"] + 1, "updated_at": at})
        self._tell(action, action, from_status, actor, at, change)

    def raise_event(self, event: RaisedEvent) -> None:
        """Raise an event that is not a step of the request (the citizen's contact)."""
        self._events.append(event)

    def pull_events(self) -> list[RaisedEvent]:
        """The events raised since the last pull, oldest first."""
        events, self._events = self._events, []
        return events

    def _write(self, values: dict[str, Any]) -> None:
        self.row.update(values)
        self.changed.update(values)

    def _tell(
        self,
        history_action: str,
        event_action: str,
        from_status: str,
        actor: str,
        at: datetime,
        change: Change,
    ) -> None:
        self.history.append(
            history_entry(
                self.row,
                history_action,
                from_status,
                actor,
                at,
                note=change.note,
                details=change.details,
            )
        )
        self._events.append(
            raised(
                event_action, self.row, occurred_at=at, actor=actor, **(change.event_extra or {})
            )
        )
