"""Every v1 event model, registered by type on import."""

from grassroots.contracts.events import evaluation, members, notifications, notify, requests
from grassroots.contracts.events.base import REGISTRY, AggregateEvent, EventData

__all__ = [
    "REGISTRY",
    "AggregateEvent",
    "EventData",
    "evaluation",
    "members",
    "notifications",
    "notify",
    "requests",
]
