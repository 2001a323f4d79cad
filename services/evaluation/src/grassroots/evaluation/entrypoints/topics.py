"""HTTP routes of recurring problems (每月一题)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.domain.topics import TopicRules
from grassroots.evaluation.entrypoints.common import RuntimeDep, parse_period, scoped_unit
from grassroots.evaluation.service.indicators import load_tree
from grassroots.evaluation.service.topics import mark_topic, month_topics
from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.guards import OrgAdmin
from grassroots.kit.problems import Invalid

router = APIRouter(prefix="/v1", tags=["topics"])
RULES = TopicRules()


def _month(text: str) -> Period:
    period = parse_period(text)
    if len(period.months) != 1:
        raise Invalid("period", "topics are found per month: YYYY-MM")
    return period


@router.get("/topics")
async def get_topics(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    org_unit: Annotated[str, Query(description="a county or township (or any unit)")],
    period: Annotated[str, Query(description="YYYY-MM")],
) -> dict[str, Any]:
    """Groups of similar requests across the unit's villages in the month, largest first."""
    month = _month(period)
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, org_unit, "org_unit")
        tree = await load_tree(session, unit.area_code)
        return await month_topics(session, tree, unit.id, month, RULES)


class MarkIn(BaseModel):
    """Which unit and month the topic is the month's topic of."""

    org_unit: str = Field(min_length=1, max_length=64)
    period: str


@router.post("/topics/{topic_id}/mark", status_code=201)
async def post_mark(
    topic_id: str, body: MarkIn, principal: OrgAdmin, runtime: RuntimeDep
) -> dict[str, Any]:
    """Mark a topic as the month's topic (每月一题) of the unit; later months follow it."""
    month = _month(body.period)
    async with runtime.db.transaction() as session:
        unit = await scoped_unit(session, principal, body.org_unit, "org_unit")
        tree = await load_tree(session, unit.area_code)
        return await mark_topic(session, tree, unit.id, month, topic_id, RULES, principal.sub)
