"""Routes of the public board: check-ins, claimed posts, rankings and results (no token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from grassroots.contracts.area import AreaCode
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.notifications.entrypoints.http.deps import AppDeps, ReadSession
from grassroots.notifications.entrypoints.http.schemas import BoardItem
from grassroots.notifications.service import board

router = APIRouter(prefix="/v1", tags=["board"])


@router.get("/board", response_model=Page[BoardItem])
async def public_board(
    area: Annotated[AreaCode, Query(description="12-digit area code")],
    session: ReadSession,
    deps: AppDeps,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BoardItem]:
    """Public items for an area and the areas enclosing it (no token needed)."""
    items, next_cursor = await board.show_board(session, deps, area, limit, cursor)
    return Page(items=[BoardItem(**i) for i in items], next_cursor=next_cursor)
