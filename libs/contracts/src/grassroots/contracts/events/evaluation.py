"""v1 events of the evaluation domain."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from grassroots.contracts.events.base import AggregateEvent, register


class PublishedEntry(BaseModel):
    """One line of a published ranking or result (organisations only: public by nature)."""

    org_unit_id: str | None = None
    member_id: str | None = None
    rank: int | None = None
    score: float | None = None
    grade: str | None = None


class EvaluationPublished(AggregateEvent):
    """A ranking or evaluation result was frozen and published (公示)."""

    DOMAIN: ClassVar[str] = "evaluation"
    NAME: ClassVar[str] = "published"
    publication_id: str
    kind: Literal["ranking", "review", "points", "survey"]
    parent_org_unit_id: str
    period: str
    scheme: str | None = None
    entries: list[PublishedEntry] = Field(default_factory=list)


register(EvaluationPublished)
