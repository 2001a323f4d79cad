"""Use cases of webhook subscriptions: subscribe, list, resume, cancel, and queue deliveries."""

from __future__ import annotations

from typing import Any

from grassroots.contracts.area import is_within
from grassroots.contracts.envelope import CloudEvent
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Conflict, NotFound
from grassroots.notifications.adapters import webhooks as repo
from grassroots.notifications.adapters.notifications import add_notifications
from grassroots.notifications.domain.notification import new_id, notification_row
from grassroots.notifications.service.commands import WebhookIn
from grassroots.notifications.service.deps import Deps
from grassroots.notifications.service.pages import after_key, page_of

# What a subscription shows of itself (the secret is never shown again).
SHOWN = (
    "id",
    "url",
    "event_types",
    "area_code",
    "status",
    "consecutive_failures",
    "paused_reason",
    "created_at",
)


def _shown(row: Any) -> dict[str, Any]:
    return {k: getattr(row, k) for k in SHOWN}


async def queue_webhooks(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """One webhook delivery per active subscription matching the event's type and area."""
    subscriptions = await deps.subscriptions.read(session)
    if not subscriptions:
        return
    now = deps.clock()
    rows = [
        notification_row(
            cause_id=event.id,
            recipient_id=f"webhook:{sub.id}",
            recipient_kind="system",
            channel="webhook",
            rule="webhook",
            template_key="webhook",
            context={"event_type": event.type},
            area_code=event.areacode,
            now=now,
            webhook_id=sub.id,
            payload=event.to_json_bytes(),
        )
        for sub in subscriptions
        if (event.type in sub.event_types or "*" in sub.event_types)
        and is_within(event.areacode, sub.area_code)
    ]
    await add_notifications(session, rows)


async def subscribe_webhook(
    session: AsyncSession, deps: Deps, principal: Principal, body: WebhookIn
) -> dict[str, Any]:
    """Subscribe a URL to event types of an area (org admins of that area)."""
    principal.require_area(body.area_code)
    webhook_id = new_id()
    values = {
        "id": webhook_id,
        "url": body.url,
        "event_types": body.event_types,
        "area_code": body.area_code,
        "sealed_secret": deps.sealer.seal(
            webhook_id, {"secret": body.secret}, field="webhook_secret"
        ),
        "status": "active",
        "consecutive_failures": 0,
        "paused_reason": None,
        "created_by": principal.sub,
        "created_at": deps.clock(),
    }
    await repo.add_webhook(session, values)
    return {k: values[k] for k in SHOWN}


async def list_webhooks(
    session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Subscriptions inside the token's subtree, with their state (paused ones say why)."""
    rows = await repo.list_webhooks(session, principal.area_prefix, after_key(cursor), limit)
    items, next_cursor = page_of(rows, limit)
    return [_shown(r) for r in items], next_cursor


async def _own_webhook(session: AsyncSession, principal: Principal, webhook_id: str) -> Any:
    principal.require_role("org_admin")
    row = await repo.get_webhook(session, webhook_id)
    if row is None or not principal.covers(row.area_code):
        raise NotFound(f"no webhook {webhook_id}")
    return row


async def resume_webhook(
    session: AsyncSession, principal: Principal, webhook_id: str
) -> dict[str, Any]:
    """Resume a paused subscription."""
    row = await _own_webhook(session, principal, webhook_id)
    if row.status != "paused":
        raise Conflict(f"webhook {webhook_id} is {row.status}, not paused")
    values = {"status": "active", "consecutive_failures": 0, "paused_reason": None}
    await repo.set_webhook(session, webhook_id, values)
    return _shown(await repo.get_webhook(session, webhook_id))


async def cancel_webhook(session: AsyncSession, principal: Principal, webhook_id: str) -> None:
    """Cancel a subscription; queued deliveries are dropped."""
    await _own_webhook(session, principal, webhook_id)
    await repo.set_webhook(session, webhook_id, {"status": "deleted"})
