"""Per-request facts folded from request events in any order, any number of times.

Each event contributes a partial fact; `merge` is commutative, associative and idempotent
(minimum, maximum, logical or, and "highest version wins"), so duplicates and out-of-order
delivery give the same facts as the ordered stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grassroots.evaluation.domain.periods import month_key

# Events by which the holding unit shows it took the request up (the "response").
RESPONSE_EVENTS = frozenset({"accepted", "assigned", "started", "explained", "resolved"})
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")


@dataclass(frozen=True)
class RequestFacts:
    """What evaluation needs to know about one request."""

    request_id: str
    # From the submitted event: where and when it was received (counts there and then).
    received_unit_id: str | None = None
    area_code: str | None = None
    received_at: datetime | None = None
    received_month: str | None = None
    # Earliest response (accept, assign, start, explain or resolve).
    responded_at: datetime | None = None
    # The latest of resolved/reopened by version decides whether it counts as resolved.
    resolution_version: int = 0
    resolved: bool = False
    resolved_at: datetime | None = None
    resolved_due_at: datetime | None = None
    escalated: bool = False
    explained: bool = False
    rating: str | None = None
    rating_version: int = 0
    last_version: int = 0
    # A repeat report merged into another request is that one's matter: the group counts once.
    # The latest of merged/unmerged by version decides.
    merged_into: str | None = None
    merge_version: int = 0

    @property
    def response_seconds(self) -> int | None:
        """Seconds from receipt to the first response, when both are known."""
        if self.received_at is None or self.responded_at is None:
            return None
        return max(0, int((self.responded_at - self.received_at).total_seconds()))

    @property
    def resolved_on_time(self) -> bool:
        """Resolved no later than the due time it carried (no due time counts as on time)."""
        if not self.resolved or self.resolved_at is None:
            return False
        return self.resolved_due_at is None or self.resolved_at <= self.resolved_due_at


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def merge(a: RequestFacts, b: RequestFacts) -> RequestFacts:
    """Combine two partial facts of the same request (order does not matter)."""
    if a.request_id != b.request_id:
        raise ValueError("facts of different requests")
    received = a if a.received_at is not None else b
    if a.received_at is not None and b.received_at is not None:
        # Only one submitted event exists; a tie-break keeps merge commutative anyway.
        received = min(a, b, key=lambda f: (f.received_at, f.received_unit_id or ""))
    resolution = a if a.resolution_version >= b.resolution_version else b
    rating = a if a.rating_version >= b.rating_version else b
    merging = a if a.merge_version >= b.merge_version else b
    return RequestFacts(
        request_id=a.request_id,
        received_unit_id=received.received_unit_id,
        area_code=received.area_code,
        received_at=received.received_at,
        received_month=received.received_month,
        responded_at=_min(a.responded_at, b.responded_at),
        resolution_version=resolution.resolution_version,
        resolved=resolution.resolved,
        resolved_at=resolution.resolved_at,
        resolved_due_at=resolution.resolved_due_at,
        escalated=a.escalated or b.escalated,
        explained=a.explained or b.explained,
        rating=rating.rating,
        rating_version=rating.rating_version,
        last_version=max(a.last_version, b.last_version),
        merged_into=merging.merged_into,
        merge_version=merging.merge_version,
    )


def contribution(name: str, data: dict[str, Any]) -> RequestFacts:
    """The partial facts one request event (by its short name, e.g. `resolved`) carries."""
    version = int(data["version"])
    occurred_at: datetime = data["occurred_at"]
    values: dict[str, Any] = {"request_id": str(data["request_id"]), "last_version": version}
    if name == "submitted":
        received_at: datetime = data["received_at"]
        values["received_unit_id"] = str(data["org_unit_id"])
        values["area_code"] = str(data["area_code"])
        values["received_at"] = received_at
        values["received_month"] = month_key(received_at)
    if name in RESPONSE_EVENTS:
        values["responded_at"] = occurred_at
    if name == "resolved":
        values["resolution_version"] = version
        values["resolved"] = True
        values["resolved_at"] = occurred_at
        values["resolved_due_at"] = data.get("due_at")
    elif name == "reopened":
        values["resolution_version"] = version
        values["resolved"] = False
    elif name == "escalated":
        values["escalated"] = True
    elif name == "explained":
        values["explained"] = True
    elif name == "feedback_given" or (name == "callback_recorded" and data.get("rating")):
        # A rating given on the centre's callback (回访) counts as the citizen's feedback.
        values["rating"] = str(data["rating"])
        values["rating_version"] = version
    elif name == "merged":
        values["merged_into"] = str(data["into_request_id"])
        values["merge_version"] = version
    elif name == "unmerged":
        values["merge_version"] = version
    return RequestFacts(**values)


def fold(events: list[tuple[str, dict[str, Any]]]) -> dict[str, RequestFacts]:
    """Facts per request from `(event name, data)` pairs in any order."""
    out: dict[str, RequestFacts] = {}
    for name, data in events:
        part = contribution(name, data)
        known = out.get(part.request_id)
        out[part.request_id] = part if known is None else merge(known, part)
    return out
