"""v1 events of the notifications domain: delivery outcomes, without contact details."""

from __future__ import annotations

from typing import ClassVar, Literal

from grassroots.contracts.events.base import AggregateEvent, register

NotifyChannel = Literal["sms", "email", "webhook", "inbox"]


class _NotificationEvent(AggregateEvent):
    DOMAIN: ClassVar[str] = "notifications"
    notification_id: str
    channel: NotifyChannel
    rule: str
    recipient_kind: Literal["citizen", "member", "supervisor", "system"]
    cause_event_id: str | None = None


class NotificationSent(_NotificationEvent):
    """A notification left through its channel."""

    NAME: ClassVar[str] = "sent"


class NotificationFailed(_NotificationEvent):
    """A delivery attempt failed; it will be retried."""

    NAME: ClassVar[str] = "failed"
    attempt: int


class NotificationDead(_NotificationEvent):
    """Every delivery attempt failed; the notification was given up."""

    NAME: ClassVar[str] = "dead"
    attempts: int


register(NotificationSent, NotificationFailed, NotificationDead)
