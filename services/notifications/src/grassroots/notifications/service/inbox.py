"""Use cases of what people read: a member's inbox, and staff's view of notifications."""

from __future__ import annotations

from typing import Any

from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import NotFound
from grassroots.notifications.adapters import notifications as repo
from grassroots.notifications.service.deps import Deps
from grassroots.notifications.service.pages import after_key, page_of


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    *,
    request_id: str | None,
    recipient: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """Notifications inside the token's subtree, filtered (the route lets staff only)."""
    rows = await repo.list_notifications(
        session,
        area_prefix=principal.area_prefix,
        request_id=request_id,
        recipient=recipient,
        status=status,
        after=after_key(cursor),
        limit=limit,
    )
    return page_of(rows, limit)


async def list_inbox(
    session: AsyncSession, principal: Principal, unread: bool, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """The token's member's inbox, newest first."""
    rows = await repo.list_inbox(
        session, f"member:{principal.sub}", unread=unread, before=after_key(cursor), limit=limit
    )
    return page_of(rows, limit)


async def mark_read(
    session: AsyncSession, deps: Deps, principal: Principal, notification_id: str
) -> dict[str, Any]:
    """Mark one of the token's own inbox messages read (idempotent)."""
    recipient = f"member:{principal.sub}"
    row = await repo.get_inbox_message(session, recipient, notification_id)
    if row is None:
        raise NotFound(f"no inbox message {notification_id}")
    read_at = row.read_at or deps.clock()
    if row.read_at is None:
        await repo.set_read(session, recipient, notification_id, read_at)
    return dict(row._mapping) | {"read_at": read_at}
