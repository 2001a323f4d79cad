"""Use cases of broadcasts (党内信息发布): record a notice, fan it out to a subtree in batches."""

from __future__ import annotations

from typing import Any

from grassroots.contracts.area import area_prefix
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.orgtree import get_unit
from grassroots.kit.problems import Invalid, NotFound
from grassroots.notifications.adapters import broadcasts as repo
from grassroots.notifications.adapters.notifications import add_notifications, broadcast_progress
from grassroots.notifications.adapters.recipients import active_members_under, load_preferences
from grassroots.notifications.domain.notification import broadcast_cause, new_id, notification_row
from grassroots.notifications.service.commands import BroadcastIn
from grassroots.notifications.service.deps import Deps
from grassroots.notifications.service.pages import after_key, page_of

SHOWN = (
    "id",
    "org_unit_id",
    "area_code",
    "title",
    "body",
    "channels",
    "status",
    "recipients",
    "created_at",
    "finished_at",
)


async def _shown(session: AsyncSession, row: Any) -> dict[str, Any]:
    return {k: getattr(row, k) for k in SHOWN} | {
        "by_status": await broadcast_progress(session, broadcast_cause(row.id))
    }


async def create_broadcast(
    session: AsyncSession, deps: Deps, principal: Principal, body: BroadcastIn
) -> dict[str, Any]:
    """Record a notice to a unit's subtree (its staff only); the broadcaster fans it out."""
    unit = await get_unit(session, body.org_unit_id)
    if unit is None:
        raise Invalid("org_unit_id", "unknown organisation unit")
    principal.require_area(unit.area_code)
    broadcast_id = new_id()
    await repo.add_broadcast(
        session,
        {
            "id": broadcast_id,
            "org_unit_id": unit.id,
            "area_code": unit.area_code,
            "title": body.title,
            "body": body.body,
            "channels": body.channels,
            "status": "running",
            "cursor": None,
            "recipients": 0,
            "created_by": principal.sub,
            "created_at": deps.clock(),
            "finished_at": None,
        },
    )
    return await _shown(session, await repo.get_broadcast(session, broadcast_id))


async def show_broadcast(
    session: AsyncSession, principal: Principal, broadcast_id: str
) -> dict[str, Any]:
    """A broadcast inside the token's subtree, with its counts by status."""
    row = await repo.get_broadcast(session, broadcast_id)
    if row is None or not principal.covers(row.area_code):
        raise NotFound(f"no broadcast {broadcast_id}")
    return await _shown(session, row)


async def list_broadcasts(
    session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Broadcasts inside the token's subtree, newest first."""
    rows = await repo.list_broadcasts(session, principal.area_prefix, after_key(cursor), limit)
    items, next_cursor = page_of(rows, limit)
    return [await _shown(session, r) for r in items], next_cursor


async def fan_out_broadcasts(session: AsyncSession, deps: Deps) -> bool:
    """Plan one batch of notifications for the oldest running broadcast; False when none runs."""
    broadcast = await repo.oldest_running(session)
    if broadcast is None:
        return False
    batch = await active_members_under(
        session, area_prefix(broadcast.area_code), broadcast.cursor, deps.broadcast_batch
    )
    now = deps.clock()
    recipients = [f"member:{m.member_id}" for m in batch]
    prefs = await load_preferences(session, recipients)
    context = {"title": broadcast.title, "body": broadcast.body}
    rows = []
    for member, recipient in zip(batch, recipients, strict=True):
        opted_out = prefs[recipient].opted_out if recipient in prefs else frozenset()
        for channel in broadcast.channels:
            if channel in opted_out:
                continue
            rows.append(
                notification_row(
                    cause_id=broadcast_cause(broadcast.id),
                    recipient_id=recipient,
                    recipient_kind="member",
                    channel=channel,
                    rule="broadcast",
                    template_key="broadcast",
                    context=context,
                    area_code=member.area_code,
                    now=now,
                    broadcast_id=broadcast.id,
                )
            )
    await add_notifications(session, rows)
    values: dict[str, Any] = {"recipients": broadcast.recipients + len(batch)}
    if batch:
        values["cursor"] = batch[-1].member_id
    if len(batch) < deps.broadcast_batch:
        values["status"] = "done"
        values["finished_at"] = now
    await repo.update_broadcast(session, broadcast.id, values)
    return True
