"""What the routes answer (the input models are the use cases', in `service/commands.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from grassroots.notifications.service.commands import PreferencesIn

Model = TypeVar("Model", bound=BaseModel)


def shaped(model: type[Model], source: Any) -> Model:
    """`model` filled from a row's (or a mapping's) fields of the same names."""
    if isinstance(source, dict):
        return model(**{k: source[k] for k in model.model_fields if k in source})
    return model(**{k: getattr(source, k) for k in model.model_fields})


class NotificationOut(BaseModel):
    """A notification as staff see it: no addresses, only ids, rule, channel and status."""

    id: str
    cause_id: str
    recipient_id: str
    recipient_kind: str
    channel: str
    rule: str
    status: str
    attempts: int
    area_code: str
    request_id: str | None
    broadcast_id: str | None
    subject: str | None
    body: str | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


class InboxItem(BaseModel):
    """One message in a member's in-app inbox."""

    id: str
    rule: str
    subject: str | None
    body: str | None
    created_at: datetime
    read_at: datetime | None


class PreferencesOut(PreferencesIn):
    """A recipient's preferences."""

    recipient: str


class TemplateOut(BaseModel):
    """A template version with its sample rendering and SMS length."""

    key: str
    locale: str
    version: int
    subject: str
    body: str
    variables: list[str]
    sample_subject: str
    sample_body: str
    sms_segments: int


class RuleOut(BaseModel):
    """A notification rule as a county has it (the defaults unless the county changed them)."""

    name: str
    event_type: str
    audience: str
    template: str
    channels: list[str]
    critical: bool
    urgent: bool
    enabled: bool
    overridden: bool


class BroadcastOut(BaseModel):
    """A broadcast and its progress."""

    id: str
    org_unit_id: str
    area_code: str
    title: str
    body: str
    channels: list[str]
    status: str
    recipients: int
    by_status: dict[str, int]
    created_at: datetime
    finished_at: datetime | None


class BoardItem(BaseModel):
    """A public item: a check-in, a claimed post, a ranking or result."""

    id: str
    kind: str
    area_code: str
    org_unit_id: str | None
    org_unit_name: str | None
    member_id: str | None
    member_name: str | None
    content: dict[str, Any]
    published_at: datetime


class WebhookOut(BaseModel):
    """A subscription as answered (the secret is never shown again)."""

    id: str
    url: str
    event_types: list[str]
    area_code: str
    status: str
    consecutive_failures: int
    paused_reason: str | None
    created_at: datetime


class SinkOut(BaseModel):
    """A recorded message (number masked)."""

    id: int
    reference: str | None
    to_masked: str
    text: str
    segments: int
    received_at: datetime


class PublicationOut(BaseModel):
    """A publication as anyone reads it (no author: the unit publishes)."""

    id: str
    kind: str
    org_unit_id: str
    org_unit_name: str | None
    area_code: str
    title: str
    body: str
    published_at: datetime
