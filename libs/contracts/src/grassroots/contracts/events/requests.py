"""v1 events of the requests domain: every transition of a citizen's request."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from grassroots.contracts.area import AreaCode
from grassroots.contracts.events.base import AggregateEvent, register

RequestStatus = Literal[
    "submitted",
    "accepted",
    "assigned",
    "in_progress",
    "escalated",
    "explained",
    "resolved",
    "closed",
    "reopened",
    "merged",
]
Channel = Literal[
    "window", "hotline", "online", "proxy_point", "visit", "suggestion_box", "open311"
]
Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]


class _RequestEvent(AggregateEvent):
    DOMAIN: ClassVar[str] = "requests"
    request_id: str
    org_unit_id: str
    area_code: AreaCode
    service_code: str
    status: RequestStatus
    due_at: datetime | None = None
    handler_member_id: str | None = None


class RequestSubmitted(_RequestEvent):
    """A citizen's request was taken in."""

    NAME: ClassVar[str] = "submitted"
    channel: Channel
    received_at: datetime
    anonymous: bool = False


class RequestAccepted(_RequestEvent):
    """The holding unit accepted the request."""

    NAME: ClassVar[str] = "accepted"


class RequestAssigned(_RequestEvent):
    """A named handler was assigned."""

    NAME: ClassVar[str] = "assigned"
    handler_member_id: str


class RequestStarted(_RequestEvent):
    """The handler started work."""

    NAME: ClassVar[str] = "started"


class RequestEscalated(_RequestEvent):
    """The request moved up to the parent unit (manually or because it was overdue)."""

    NAME: ClassVar[str] = "escalated"
    from_org_unit_id: str
    cause: Literal["manual", "overdue"]


class RequestExplained(_RequestEvent):
    """It cannot be solved yet; the citizen was told why and by when."""

    NAME: ClassVar[str] = "explained"
    expected_by: datetime | None = None


class RequestResolved(_RequestEvent):
    """The request was resolved."""

    NAME: ClassVar[str] = "resolved"


class FeedbackGiven(_RequestEvent):
    """The citizen rated the result."""

    NAME: ClassVar[str] = "feedback_given"
    rating: Rating


class RequestReopened(_RequestEvent):
    """The request was reopened (unsatisfied rating or a supervisor)."""

    NAME: ClassVar[str] = "reopened"


class RequestOverdue(_RequestEvent):
    """The request passed its due time at its holding unit."""

    NAME: ClassVar[str] = "overdue"


class RequestClosed(_RequestEvent):
    """The request was closed."""

    NAME: ClassVar[str] = "closed"


class RequestMerged(_RequestEvent):
    """A cadre merged this request (the follower) into another one (the main request)."""

    NAME: ClassVar[str] = "merged"
    into_request_id: str
    # The status the follower had, which an unmerge gives back.
    previous_status: RequestStatus


class RequestUnmerged(_RequestEvent):
    """A cadre undid a merge: the request is handled on its own again."""

    NAME: ClassVar[str] = "unmerged"
    from_request_id: str


class AttachmentAdded(_RequestEvent):
    """A photo or document was attached to the request (by the citizen or a handler)."""

    NAME: ClassVar[str] = "attachment_added"
    attachment_id: str
    content_type: Literal["image/jpeg", "image/png", "application/pdf"]
    size: int
    uploaded_by: Literal["citizen", "staff"]


class VisitLogged(AggregateEvent):
    """A cadre logged a household visit (三访); problems found became requests."""

    DOMAIN: ClassVar[str] = "requests"
    NAME: ClassVar[str] = "visit_logged"
    visit_id: str
    visitor_member_id: str
    org_unit_id: str
    area_code: AreaCode
    kind: Literal["contact", "home", "patrol"]
    visited_at: datetime
    problem_request_ids: list[str] = Field(default_factory=list)


register(
    VisitLogged,
    RequestSubmitted,
    RequestAccepted,
    RequestAssigned,
    RequestStarted,
    RequestEscalated,
    RequestExplained,
    RequestResolved,
    FeedbackGiven,
    RequestReopened,
    RequestOverdue,
    RequestClosed,
    RequestMerged,
    RequestUnmerged,
    AttachmentAdded,
)
