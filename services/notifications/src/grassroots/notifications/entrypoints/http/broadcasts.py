"""Routes of broadcasts (党内信息发布): a notice to every member of a subtree."""

from __future__ import annotations

from fastapi import APIRouter, Response

from grassroots.kit.guards import Cadre
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.notifications.entrypoints.http.deps import (
    AppDeps,
    BroadcastSession,
    CurrentPrincipal,
    ReadSession,
)
from grassroots.notifications.entrypoints.http.schemas import BroadcastOut
from grassroots.notifications.service import broadcasts
from grassroots.notifications.service.commands import BroadcastIn

router = APIRouter(prefix="/v1", tags=["broadcasts"])


@router.post("/broadcasts", status_code=201, response_model=BroadcastOut)
async def post_broadcast(
    principal: Cadre,
    body: BroadcastIn,
    response: Response,
    session: BroadcastSession,
    deps: AppDeps,
) -> BroadcastOut:
    """Send a notice to the unit's subtree; fanned out in batches in the background."""
    created = await broadcasts.create_broadcast(session, deps, principal, body)
    response.headers["Location"] = f"/v1/broadcasts/{created['id']}"
    return BroadcastOut(**created)


@router.get("/broadcasts/{broadcast_id}", response_model=BroadcastOut)
async def get_broadcast(
    principal: CurrentPrincipal, broadcast_id: str, session: ReadSession
) -> BroadcastOut:
    """A broadcast with its progress and counts by status."""
    return BroadcastOut(**await broadcasts.show_broadcast(session, principal, broadcast_id))


@router.get("/broadcasts", response_model=Page[BroadcastOut])
async def list_broadcasts(
    principal: CurrentPrincipal, session: ReadSession, limit: Limit = 50, cursor: Cursor = None
) -> Page[BroadcastOut]:
    """Broadcasts inside the token's subtree, newest first."""
    items, next_cursor = await broadcasts.list_broadcasts(session, principal, limit, cursor)
    return Page(items=[BroadcastOut(**b) for b in items], next_cursor=next_cursor)
