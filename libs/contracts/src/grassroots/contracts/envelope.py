"""The CloudEvents 1.0 envelope (structured JSON mode) with Grassroots extensions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grassroots.contracts.area import AreaCode
from grassroots.contracts.timezone import Instant


class CloudEvent(BaseModel):
    """A CloudEvent as it travels on the bus; `data` holds the event model's fields."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    time: Instant = Field(default_factory=lambda: datetime.now(UTC))
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    areacode: AreaCode
    correlationid: str | None = None
    causationid: str | None = None
    actor: str | None = None

    def to_json_bytes(self) -> bytes:
        """Serialise for the wire (structured mode)."""
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> CloudEvent:
        """Parse a structured-mode CloudEvent."""
        return cls.model_validate_json(raw)
