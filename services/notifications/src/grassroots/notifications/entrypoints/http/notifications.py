"""Routes of staff's view of notifications."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.guards import Cadre
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.notifications.domain.policy import Status
from grassroots.notifications.entrypoints.http.deps import ReadSession
from grassroots.notifications.entrypoints.http.schemas import NotificationOut, shaped
from grassroots.notifications.service import inbox

router = APIRouter(prefix="/v1", tags=["notifications"])


@router.get("/notifications", response_model=Page[NotificationOut])
async def list_notifications(
    principal: Cadre,
    session: ReadSession,
    request_id: str | None = None,
    recipient: str | None = None,
    status: Status | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    """Notifications inside the token's subtree, filtered (staff only)."""
    rows, next_cursor = await inbox.list_notifications(
        session,
        principal,
        request_id=request_id,
        recipient=recipient,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[shaped(NotificationOut, r) for r in rows], next_cursor=next_cursor)
