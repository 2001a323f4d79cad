"""Routes of a member's in-app inbox."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.notifications.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.notifications.entrypoints.http.schemas import InboxItem, shaped
from grassroots.notifications.service import inbox

router = APIRouter(prefix="/v1", tags=["inbox"])


@router.get("/inbox", response_model=Page[InboxItem])
async def list_inbox(
    principal: CurrentPrincipal,
    session: ReadSession,
    unread: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[InboxItem]:
    """The token's member's inbox, newest first."""
    rows, next_cursor = await inbox.list_inbox(session, principal, unread, limit, cursor)
    return Page(items=[shaped(InboxItem, r) for r in rows], next_cursor=next_cursor)


@router.post("/inbox/{notification_id}/read", response_model=InboxItem)
async def mark_read(
    principal: CurrentPrincipal, notification_id: str, session: Session, deps: AppDeps
) -> InboxItem:
    """Mark one of the token's own inbox messages read (idempotent)."""
    return shaped(InboxItem, await inbox.mark_read(session, deps, principal, notification_id))
