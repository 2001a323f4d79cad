"""Bodies and answers of the requests service's HTTP API."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from grassroots.contracts.area import AreaCode
from grassroots.contracts.events.requests import Channel, Rating, ReturnReason
from grassroots.kit.clock import as_utc, utcnow, zone
from grassroots.kit.masking import mask_name, mask_phone
from grassroots.requests.domain.durations import parse_limit
from grassroots.requests.domain.machine import CLOCK_RUNNING, Status, allowed_actions
from grassroots.requests.service.handling import Intake

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
    """A catalogue item as written by an org admin (the county is the caller's by default)."""

    county_area: AreaCode | None = Field(
        default=None, description="needed only from a caller above county level"
    )
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

    county_area: AreaCode
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
    lat: float | None = Field(default=None, ge=-90, le=90, description="WGS-84 latitude")
    long: float | None = Field(default=None, ge=-180, le=180, description="WGS-84 longitude")
    attributes: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _both_coordinates(self) -> RequestIn:
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat and long come together")
        return self


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


class DuplicateOut(BaseModel):
    """An open request that may be the same matter."""

    id: str
    similarity: float = Field(ge=0, le=1)


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
    lat: float | None = None
    long: float | None = None
    address: str | None = None
    # Open requests proposed as the same matter when this one came in.
    duplicates: list[DuplicateOut] = Field(default_factory=list)
    merged_into: str | None = None
    history: list[HistoryEntry] | None = None


class AttachmentOut(BaseModel):
    """A stored attachment: its type is what its content shows, images re-encoded."""

    id: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    uploaded_by: Literal["citizen", "staff"]
    created_at: datetime
    thumbnail: bool


class MergeIn(BaseModel):
    """The main request a repeat report joins."""

    into: str = Field(min_length=1, max_length=36)


class AssignIn(BaseModel):
    """Name a handler."""

    handler_member_id: str = Field(min_length=1, max_length=64)


class ReasonIn(BaseModel):
    """Why (escalation)."""

    # Two models share this name, so OpenAPI names each after its module: the published
    # component name is the one of the module it was first written in.
    __module__ = "grassroots.requests.entrypoints.schemas"

    reason: str = Field(min_length=1, max_length=2000)


class OptionalReasonIn(BaseModel):
    """Why (reopen, close), optional."""

    reason: str | None = Field(default=None, max_length=2000)


class ResolveIn(BaseModel):
    """How it was solved."""

    resolution: str = Field(min_length=1, max_length=4000)


def _end_of_date(value: Any) -> Any:
    """A plain date (`2027-03-31`) means by the end of that day in the platform's zone."""
    if isinstance(value, str) and len(value) == 10:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59), tzinfo=zone())
    return value


def _aware(value: datetime) -> datetime:
    """A time without an offset is the platform's local time."""
    return value.replace(tzinfo=zone()) if value.tzinfo is None else value


class ExplainIn(BaseModel):
    """Why it cannot be solved yet and by when it will be (a date means by the end of it)."""

    explanation: str = Field(min_length=1, max_length=4000)
    expected_by: datetime

    _by_date = field_validator("expected_by", mode="before")(_end_of_date)
    _by_time = field_validator("expected_by")(_aware)


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
    # True when this request was merged with the same matter: status and steps are the main one's.
    merged: bool = False
    history: list[TrackStep]


class CalendarYearIn(BaseModel):
    """An operator's calendar for one year: statutory holidays and make-up working days."""

    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


class CalendarYearOut(CalendarYearIn):
    """A year's overrides and whether real holiday data covers it."""

    year: int
    covered: bool


# ---------------------------------------------------------------- answers and intakes


def item_out(row: dict[str, Any]) -> CatalogItemOut:
    """A catalogue row as answered."""
    return CatalogItemOut.model_validate(row)


def request_out(
    row: dict[str, Any],
    history: list[dict[str, Any]] | None = None,
    *,
    cipher: Any,
    contact: tuple[str | None, str | None] | None = None,
) -> RequestOut:
    """A request row as answered, the citizen's contact masked.

    `contact` is the (name, phone) the caller already holds in clear, sparing a decryption.
    """
    citizen = None
    if not row["anonymous"]:
        name, phone = contact or (
            cipher.decrypt(row["citizen_name_enc"], record_id=row["id"], field="citizen_name"),
            cipher.decrypt(row["citizen_phone_enc"], record_id=row["id"], field="citizen_phone"),
        )
        citizen = CitizenOut(name=mask_name(name), phone=mask_phone(phone))
    appointment = (
        Appointment(start=row["appointment_start"], end=row["appointment_end"])
        if row["appointment_start"]
        else None
    )
    status = Status(row["status"])
    due = as_utc(row["due_at"])
    return RequestOut(
        **{k: row[k] for k in _PLAIN_FIELDS},
        lat=_coordinate(row.get("lat")),
        long=_coordinate(row.get("long")),
        duplicates=row.get("duplicates") or [],
        citizen=citizen,
        appointment=appointment,
        overdue=status in CLOCK_RUNNING and due < utcnow(),
        allowed_actions=[a.value for a in allowed_actions(status)],
        history=[HistoryEntry.model_validate(h) for h in history] if history is not None else None,
    )


def _coordinate(value: str | None) -> float | None:
    return None if value is None else float(value)


_PLAIN_FIELDS = (
    "id",
    "tracking_code",
    "status",
    "due_at",
    "org_unit_id",
    "org_tier",
    "service_code",
    "area_code",
    "channel",
    "description",
    "anonymous",
    "handler_member_id",
    "accepted_by",
    "version",
    "received_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "explanation",
    "expected_by",
    "resolution",
    "rating",
    "feedback_comment",
    "door_to_door",
    "escalations",
    "paused_until",
    "dispatcher_unit_id",
    "sign_by",
    "extensions",
    "open_co_tasks",
    "address",
    "merged_into",
)


def intake_from(body: RequestIn, channel: str) -> Intake:
    """The service-level intake of an HTTP body."""
    return Intake(
        service_code=body.service_code,
        area_code=body.area_code,
        description=body.description,
        channel=channel,
        anonymous=body.anonymous,
        citizen_name=body.citizen.name if body.citizen else None,
        citizen_phone=body.citizen.phone if body.citizen else None,
        public_name_consent=bool(body.citizen and body.citizen.public_name_consent),
        door_to_door=body.door_to_door,
        appointment_start=body.appointment.start if body.appointment else None,
        appointment_end=body.appointment.end if body.appointment else None,
        address=body.address,
        lat=None if body.lat is None else repr(body.lat),
        long=None if body.long is None else repr(body.long),
        attributes=body.attributes,
    )
