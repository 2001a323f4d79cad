"""Routes of points items and the leaderboard."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from grassroots.evaluation.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.evaluation.entrypoints.http.schemas import PointsOut
from grassroots.evaluation.service import points
from grassroots.evaluation.service.commands import PointsIn
from grassroots.kit.guards import Cadre, OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page

router = APIRouter(prefix="/v1", tags=["review, points, surveys, pay"])


@router.post("/points", response_model=PointsOut, status_code=201)
async def propose_points(
    body: PointsIn, principal: Cadre, session: Session, deps: AppDeps
) -> PointsOut:
    """Enter a bonus or deduction item for a member; an approver must confirm it."""
    return PointsOut(**await points.propose_points(session, deps, principal, body))


@router.post("/points/{item_id}/{decision}", response_model=PointsOut)
async def decide_points(
    item_id: str,
    decision: Literal["approve", "reject"],
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
) -> PointsOut:
    """Approve or reject an entered item; the proposer cannot approve their own."""
    return PointsOut(**await points.decide_points(session, deps, principal, item_id, decision))


@router.get("/points", response_model=Page[PointsOut])
async def list_points(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    org_unit: str,
    member_id: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PointsOut]:
    """Points items of a unit (optionally one member), by id."""
    page = await points.list_points(session, deps, principal, org_unit, member_id, limit, cursor)
    return Page(items=[PointsOut(**r) for r in page["items"]], next_cursor=page["next_cursor"])


@router.get("/points/leaderboard")
async def get_leaderboard(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    org_unit: str,
    period: str,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Members of a subtree by points in the period (base + approved items), with stars."""
    return await points.show_leaderboard(session, deps, principal, org_unit, period, limit, cursor)
