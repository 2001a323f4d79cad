"""Base class of every v1 event's data, and the registry of event types."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from grassroots.contracts.subjects import event_subject
from grassroots.contracts.timezone import Instant


class EventData(BaseModel):
    """The `data` of one CloudEvent type; subclasses name their domain and event."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    DOMAIN: ClassVar[str]
    NAME: ClassVar[str]
    # Public events never carry personal data; only notify commands may (see notify.py).
    PERSONAL: ClassVar[bool] = False

    @classmethod
    def event_type(cls) -> str:
        """The CloudEvents `type`, e.g. `gr.requests.escalated.v1`."""
        return f"gr.{cls.DOMAIN}.{cls.NAME}.v1"

    @classmethod
    def subject_for(cls, area_code: str) -> str:
        """The area-coded subject this event is published on."""
        return event_subject(cls.DOMAIN, cls.NAME, area_code)


class AggregateEvent(EventData):
    """An event about one aggregate, carrying its version for out-of-order tolerance."""

    version: int
    occurred_at: Instant


REGISTRY: dict[str, type[EventData]] = {}


def register(*models: type[EventData]) -> None:
    """Add event models to the registry (type string → model)."""
    for model in models:
        REGISTRY[model.event_type()] = model
