"""Bodies and answers of the requests service's HTTP API."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from grassroots.contracts.area import AreaCode
from grassroots.contracts.events.requests import Channel, Rating, ReturnReason
from grassroots.kit.clock import zone
from grassroots.requests.domain.durations import parse_limit

Tier = Literal["grid", "village", "township", "county", "city", "province"]


def _check_limit(value: str) -> str:
    parse_limit(value)
    return value


class AttributeValue(BaseModel):
    """One allowed value of a list attribute (Open311 `values`)."""

    key: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)


class ServiceAttribute(BaseModel):
    """An extra typed question of a catalogue item (Open311 attribute)."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    description: str = Field(min_length=1, max_length=500)
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool = False
    variable: bool = True
    datatype_description: str | None = None
    order: int = 1
    values: list[AttributeValue] = Field(default_factory=list)


class CatalogItemIn(BaseModel):
    """A catalogue item as written by an org admin."""

    county_area: AreaCode
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-.]+$")
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=4000)
    time_limit: str = Field(examples=["P5D", "PT4H"])
    calendar: Literal["workdays", "natural"] = "workdays"
    handling_tier: Tier = "village"
    escalation_limits: dict[Tier, str] = Field(default_factory=dict)
    materials: list[str] = Field(default_factory=list)
    door_to_door: bool = False
    allow_anonymous: bool = False
    skills: list[str] = Field(default_factory=list)
    attributes: list[ServiceAttribute] = Field(default_factory=list)
    active: bool = True

    _limit = field_validator("time_limit")(_check_limit)

    @field_validator("escalation_limits")
    @classmethod
    def _limits(cls, value: dict[str, str]) -> dict[str, str]:
        for text in value.values():
            parse_limit(text)
        return value


class CatalogItemOut(CatalogItemIn):
    """A catalogue item as answered."""

    id: str
    version: int


class Citizen(BaseModel):
    """The citizen's contact (stored encrypted, shown masked)."""

    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(pattern=r"^\+?[0-9][0-9\- ]{5,19}$")
    public_name_consent: bool = False


class Appointment(BaseModel):
    """A slot the citizen asked for (may lie outside working hours)."""

    start: datetime
    end: datetime | None = None


class RequestIn(BaseModel):
    """A new request from any channel."""

    service_code: str = Field(min_length=1, max_length=64)
    area_code: AreaCode
    description: str = Field(min_length=1, max_length=4000)
    channel: Channel = "online"
    citizen: Citizen | None = None
    anonymous: bool = False
    door_to_door: bool | None = None
    appointment: Appointment | None = None
    address: str | None = Field(default=None, max_length=300)
    attributes: dict[str, Any] = Field(default_factory=dict)


class CitizenOut(BaseModel):
    """Masked contact."""

    name: str | None
    phone: str | None


class HistoryEntry(BaseModel):
    """One step of the audit trail."""

    version: int
    action: str
    from_status: str | None
    to_status: str
    actor: str
    org_unit_id: str
    note: str | None
    at: datetime


class RequestOut(BaseModel):
    """A request as answered to cadres (contact masked)."""

    id: str
    tracking_code: str
    status: str
    due_at: datetime
    org_unit_id: str
    org_tier: str
    service_code: str
    area_code: str
    channel: str
    description: str
    anonymous: bool
    citizen: CitizenOut | None
    handler_member_id: str | None
    accepted_by: str | None
    version: int
    received_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    explanation: str | None
    expected_by: datetime | None
    resolution: str | None
    rating: str | None
    feedback_comment: str | None
    door_to_door: bool
    appointment: Appointment | None
    escalations: int
    overdue: bool
    allowed_actions: list[str]
    # Waiting for the citizen: when the wait ends by itself.
    paused_until: datetime | None = None
    # The last dispatch: by which unit and by when the receiver signs or returns it.
    dispatcher_unit_id: str | None = None
    sign_by: datetime | None = None
    extensions: int = 0
    open_co_tasks: int = 0
    history: list[HistoryEntry] | None = None


class AssignIn(BaseModel):
    """Name a handler."""

    handler_member_id: str = Field(min_length=1, max_length=64)


class ReasonIn(BaseModel):
    """Why (escalation)."""

    reason: str = Field(min_length=1, max_length=2000)


class OptionalReasonIn(BaseModel):
    """Why (reopen, close), optional."""

    reason: str | None = Field(default=None, max_length=2000)


class ResolveIn(BaseModel):
    """How it was solved."""

    resolution: str = Field(min_length=1, max_length=4000)


def _moment(value: datetime | date) -> datetime:
    """An aware instant: a date means the end of that day, a naive time is local time."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59), tzinfo=zone())
    return value.replace(tzinfo=zone()) if value.tzinfo is None else value


class ExplainIn(BaseModel):
    """Why it cannot be solved yet and by when it will be (a date means by the end of it)."""

    explanation: str = Field(min_length=1, max_length=4000)
    expected_by: datetime | date

    _expected_by = field_validator("expected_by")(_moment)


class DispatchIn(BaseModel):
    """Hand the request to a unit below or to a department's unit (派单)."""

    org_unit_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)


class ReturnIn(BaseModel):
    """Send a dispatched request back to the dispatcher (退单)."""

    reason: ReturnReason
    note: str | None = Field(default=None, max_length=2000)


class ReturnDecisionIn(BaseModel):
    """The dispatcher's decision on a return."""

    decision: Literal["upheld", "rejected"]
    note: str | None = Field(default=None, max_length=2000)


class WaitIn(BaseModel):
    """Why the request waits for the citizen (missing materials, unreachable)."""

    reason: str = Field(min_length=1, max_length=2000)


class FeedbackIn(BaseModel):
    """The citizen's rating, proved by tracking code and the phone's last four digits."""

    tracking_code: str = Field(min_length=8, max_length=16)
    phone_last4: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    rating: Rating
    comment: str | None = Field(default=None, max_length=2000)


class TrackStep(BaseModel):
    """One step as the citizen sees it."""

    at: datetime
    status: str
    text: str


class TrackOut(BaseModel):
    """What a citizen sees by tracking code: no phone, no handler's personal data."""

    id: str
    tracking_code: str
    service_code: str
    service_name: str
    status: str
    status_text: str
    received_at: datetime
    due_at: datetime
    explanation: str | None
    expected_by: datetime | None
    resolution: str | None
    rating: str | None
    history: list[TrackStep]


class CalendarYearIn(BaseModel):
    """An operator's calendar for one year: statutory holidays and make-up working days."""

    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


class CalendarYearOut(CalendarYearIn):
    """A year's overrides and whether real holiday data covers it."""

    year: int
    covered: bool
