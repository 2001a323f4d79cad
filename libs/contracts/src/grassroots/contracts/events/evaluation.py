"""v1 events of the evaluation domain."""

from __future__ import annotations

from typing import ClassVar, Literal

from grassroots.contracts.events.base import AggregateEvent, register


class EvaluationPublished(AggregateEvent):
    """A ranking or evaluation result was frozen and published (公示)."""

    DOMAIN: ClassVar[str] = "evaluation"
    NAME: ClassVar[str] = "published"
    publication_id: str
    kind: Literal["ranking", "review", "points", "survey"]
    parent_org_unit_id: str
    period: str
    scheme: str | None = None


register(EvaluationPublished)
