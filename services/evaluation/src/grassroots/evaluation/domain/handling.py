"""What dispatch, return, extension and co-handling events count, and for which unit.

Each counted event is one `HandlingEvent`, keyed by its request and version (a request's
events carry distinct versions), so a redelivered or re-sent event has the key of the first
delivery and is counted once. It counts for the unit the event names, in the platform's month
of the event:

- `dispatched` → `dispatched_in` of the unit it was dispatched to (the request's new unit);
- `returned` → `returned` of the returning unit (退单);
- `return_decided` with `rejected` → `returns_rejected` of the returning unit;
- `extension_decided` with `approved` → `extensions` of the unit holding the request (延期);
- `co_handler_added` → `helper_tasks` of the helper unit (协办);
- `co_task_done` reported `done` by the helper on time → `helper_on_time` of the helper unit
  (a task the lead closed itself is not the helper's work);
- `co_task_scored` → `helper_scored` and `helper_score_total` (the 1-5 score) of the helper
  unit (协办评分).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grassroots.evaluation.domain.indicators import IndicatorCounts
from grassroots.evaluation.domain.periods import month_key

HANDLING_KINDS = (
    "dispatched_in",
    "returned",
    "returns_rejected",
    "extensions",
    "helper_tasks",
    "helper_on_time",
    "helper_scored",
)


@dataclass(frozen=True)
class HandlingEvent:
    """One counted event: what it counts (`kind`, `score` for a scored helper task), where
    and when."""

    key: str
    request_id: str
    kind: str
    unit_id: str
    month: str
    score: int | None = None

    def counts(self) -> IndicatorCounts:
        """The counts this event adds to its unit and month."""
        if self.kind == "helper_scored":
            return IndicatorCounts(helper_scored=1, helper_score_total=int(self.score or 0))
        return IndicatorCounts(**{self.kind: 1})


def handling_event(name: str, data: dict[str, Any]) -> HandlingEvent | None:
    """The count a request event (by its short name) makes, or None if it counts nothing."""
    kind: str | None = None
    unit: Any = None
    score: int | None = None
    if name == "dispatched":
        kind, unit = "dispatched_in", data["org_unit_id"]
    elif name == "returned":
        kind, unit = "returned", data["returning_org_unit_id"]
    elif name == "return_decided" and data["decision"] == "rejected":
        kind, unit = "returns_rejected", data["returning_org_unit_id"]
    elif name == "extension_decided" and data["decision"] == "approved":
        kind, unit = "extensions", data["org_unit_id"]
    elif name == "co_handler_added":
        kind, unit = "helper_tasks", data["helper_org_unit_id"]
    elif name == "co_task_done" and data["outcome"] == "done" and data["on_time"]:
        kind, unit = "helper_on_time", data["helper_org_unit_id"]
    elif name == "co_task_scored":
        kind, unit, score = "helper_scored", data["helper_org_unit_id"], int(data["score"])
    if kind is None:
        return None
    request_id = str(data["request_id"])
    occurred_at: datetime = data["occurred_at"]
    return HandlingEvent(
        key=f"{request_id}:{int(data['version'])}",
        request_id=request_id,
        kind=kind,
        unit_id=str(unit),
        month=month_key(occurred_at),
        score=score,
    )


def handling_counts(events: Iterable[HandlingEvent]) -> dict[tuple[str, str], IndicatorCounts]:
    """Counts per (unit, month) of these events, each key once (repetitions count once)."""
    unique = {event.key: event for event in events}
    out: dict[tuple[str, str], IndicatorCounts] = {}
    for event in unique.values():
        key = (event.unit_id, event.month)
        out[key] = out.get(key, IndicatorCounts()) + event.counts()
    return out
