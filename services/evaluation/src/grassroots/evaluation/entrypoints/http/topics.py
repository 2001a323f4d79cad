"""Routes of recurring problems (每月一题)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from grassroots.evaluation.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.evaluation.service import topics
from grassroots.evaluation.service.commands import MarkIn
from grassroots.kit.guards import OrgAdmin

router = APIRouter(prefix="/v1", tags=["topics"])


@router.get("/topics")
async def get_topics(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    org_unit: Annotated[str, Query(description="a county or township (or any unit)")],
    period: Annotated[str, Query(description="YYYY-MM")],
) -> dict[str, Any]:
    """Groups of similar requests across the unit's villages in the month, largest first."""
    return await topics.show_topics(session, deps, principal, org_unit, period)


@router.post("/topics/{topic_id}/mark", status_code=201)
async def post_mark(
    topic_id: str, body: MarkIn, principal: OrgAdmin, session: Session, deps: AppDeps
) -> dict[str, Any]:
    """Mark a topic as the month's topic (每月一题) of the unit; later months follow it."""
    return await topics.mark_topic(session, deps, principal, topic_id, body)
