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
    "dispatched",
    "returned",
    "waiting",
]
Channel = Literal[
    "window", "hotline", "online", "proxy_point", "visit", "suggestion_box", "open311"
]
Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
ReturnReason = Literal["wrong_area", "not_our_duty", "unclear", "duplicate"]


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


class RequestDispatched(_RequestEvent):
    """The holder handed the request to a unit below or to a department (派单)."""

    NAME: ClassVar[str] = "dispatched"
    from_org_unit_id: str
    sign_by: datetime


class RequestReturned(_RequestEvent):
    """The receiving unit sent the request back to its dispatcher (退单)."""

    NAME: ClassVar[str] = "returned"
    returning_org_unit_id: str
    reason: ReturnReason


class ReturnDecided(_RequestEvent):
    """The dispatcher upheld the return (it keeps the request) or rejected it (sent back)."""

    NAME: ClassVar[str] = "return_decided"
    returning_org_unit_id: str
    decision: Literal["upheld", "rejected"]


class CoHandlerAdded(_RequestEvent):
    """The lead unit called in a helper unit with a task and its own due time (协办)."""

    NAME: ClassVar[str] = "co_handler_added"
    task_id: str
    helper_org_unit_id: str
    task_due_at: datetime


class CoTaskDone(_RequestEvent):
    """A helper task ended: the helper reported it done, or the lead closed it with a reason."""

    NAME: ClassVar[str] = "co_task_done"
    task_id: str
    helper_org_unit_id: str
    outcome: Literal["done", "closed"]
    on_time: bool


class CoTaskScored(_RequestEvent):
    """The lead scored a helper unit's response (1–5)."""

    NAME: ClassVar[str] = "co_task_scored"
    task_id: str
    helper_org_unit_id: str
    score: int = Field(ge=1, le=5)


class ExtensionRequested(_RequestEvent):
    """The holder asked for a later due time (延期)."""

    NAME: ClassVar[str] = "extension_requested"
    extension_id: str
    requested_due_at: datetime


class ExtensionDecided(_RequestEvent):
    """The parent unit approved (due_at moved) or rejected an extension."""

    NAME: ClassVar[str] = "extension_decided"
    extension_id: str
    decision: Literal["approved", "rejected"]
    requested_due_at: datetime


class RequestWaiting(_RequestEvent):
    """Waiting for the citizen: the clock stops until a reply, a resume or the maximum."""

    NAME: ClassVar[str] = "waiting"
    wait_until: datetime


class RequestResumed(_RequestEvent):
    """The clock runs again (the citizen replied, a cadre resumed, or the maximum wait passed)."""

    NAME: ClassVar[str] = "resumed"
    cause: Literal["citizen", "cadre", "timeout"]


class RequestChased(_RequestEvent):
    """Most of the limit is used (催办, by default at 80 %): handler and supervisor are reminded."""

    NAME: ClassVar[str] = "chased"


class RequestSupervised(_RequestEvent):
    """The day after a breach the parent unit's supervisor gets a supervision notice (督办)."""

    NAME: ClassVar[str] = "supervised"
    breached_org_unit_id: str
    supervising_org_unit_id: str


class CallbackRecorded(_RequestEvent):
    """A county centre cadre called the citizen back (回访); a rating counts as feedback."""

    NAME: ClassVar[str] = "callback_recorded"
    reached: bool
    attempt: int = Field(ge=1)
    outcome: Literal["reached", "not_reached", "unreachable"]
    rating: Rating | None = None


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
    RequestDispatched,
    RequestReturned,
    ReturnDecided,
    CoHandlerAdded,
    CoTaskDone,
    CoTaskScored,
    ExtensionRequested,
    ExtensionDecided,
    RequestWaiting,
    RequestResumed,
    RequestChased,
    RequestSupervised,
    CallbackRecorded,
)
