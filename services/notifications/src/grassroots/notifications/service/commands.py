"""What callers send: the validated input of each use case (pydantic, no web framework)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from grassroots.contracts.area import AreaCode
from grassroots.contracts.events.base import REGISTRY
from grassroots.kit.problems import Invalid
from grassroots.notifications.domain.policy import PERSON_CHANNELS
from grassroots.notifications.domain.templates import DEFAULT_LOCALE, LOCALES

Kind = Literal["document", "story", "notice"]


def _known_person_channels(value: list[str]) -> list[str]:
    unknown = [c for c in value if c not in PERSON_CHANNELS]
    if unknown:
        raise ValueError(f"unknown channels {unknown}; use {list(PERSON_CHANNELS)}")
    return value


class PreferencesIn(BaseModel):
    """Channels the recipient does not want (critical rules still use them) and a locale."""

    opted_out: list[str] = Field(default_factory=list)
    locale: str = DEFAULT_LOCALE

    @field_validator("opted_out")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        return sorted(set(_known_person_channels(value)))

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {list(LOCALES)}")
        return value


class TemplateIn(BaseModel):
    """A new version of a template in one locale."""

    locale: str = DEFAULT_LOCALE
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=4000)


class RuleOverrideIn(BaseModel):
    """A county's change to a default rule."""

    enabled: bool = True
    channels: list[str] = Field(min_length=1)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(_known_person_channels(value)))


class BroadcastIn(BaseModel):
    """A notice to every member of an organisation's subtree."""

    org_unit_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=4000)
    channels: list[str] = Field(default_factory=lambda: ["inbox"], min_length=1)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        return sorted(set(_known_person_channels(value)))


class WebhookIn(BaseModel):
    """A subscription of another system to events of an area."""

    url: str = Field(min_length=8, max_length=500)
    event_types: list[str] = Field(min_length=1)
    area_code: AreaCode
    secret: str = Field(min_length=16, max_length=200)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        public = {t for t, m in REGISTRY.items() if not m.PERSONAL}
        unknown = [t for t in value if t != "*" and t not in public]
        if unknown:
            raise ValueError(f"unknown or private event types {unknown}")
        return sorted(set(value))


class PublicationIn(BaseModel):
    """A document, a story or a notice, published by the unit at `area_code`."""

    kind: Kind
    area_code: AreaCode = Field(description="12-digit area code of the publishing unit")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20000)

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class SinkMessage(BaseModel):
    """What the SMS channel posts to a gateway for one message."""

    to: str
    text: str
    segments: int
    reference: str | None = None


class SinkIn(BaseModel):
    """One message, or a batch of them under `messages`."""

    to: str | None = None
    text: str | None = None
    segments: int = 1
    reference: str | None = None
    messages: list[SinkMessage] | None = None

    def all_messages(self) -> list[SinkMessage]:
        """The messages of either form; 422 naming the field when neither is complete."""
        if self.messages is not None:
            return self.messages
        if self.to is None or self.text is None:
            raise Invalid("to", "a message needs `to` and `text` (or send `messages`)")
        return [
            SinkMessage(
                to=self.to, text=self.text, segments=self.segments, reference=self.reference
            )
        ]
