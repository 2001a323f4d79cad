"""Routes of webhook subscriptions of other systems to events of an area (org admins)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from grassroots.kit.guards import OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.notifications.entrypoints.http.deps import AppDeps, ReadSession, WebhookSession
from grassroots.notifications.entrypoints.http.schemas import WebhookOut
from grassroots.notifications.service import webhooks
from grassroots.notifications.service.commands import WebhookIn

router = APIRouter(prefix="/v1", tags=["webhooks"])


@router.post("/webhooks", status_code=201, response_model=WebhookOut)
async def post_webhook(
    principal: OrgAdmin, body: WebhookIn, session: WebhookSession, deps: AppDeps
) -> WebhookOut:
    """Subscribe a URL to event types of an area (org admins of that area)."""
    return WebhookOut(**await webhooks.subscribe_webhook(session, deps, principal, body))


@router.get("/webhooks", response_model=Page[WebhookOut])
async def list_webhooks(
    principal: OrgAdmin, session: ReadSession, limit: Limit = 50, cursor: Cursor = None
) -> Page[WebhookOut]:
    """Subscriptions inside the token's subtree, with their state (paused ones say why)."""
    items, next_cursor = await webhooks.list_webhooks(session, principal, limit, cursor)
    return Page(items=[WebhookOut(**w) for w in items], next_cursor=next_cursor)


@router.post("/webhooks/{webhook_id}/resume", response_model=WebhookOut)
async def resume_webhook(
    principal: OrgAdmin, webhook_id: str, session: WebhookSession
) -> WebhookOut:
    """Resume a paused subscription."""
    return WebhookOut(**await webhooks.resume_webhook(session, principal, webhook_id))


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(principal: OrgAdmin, webhook_id: str, session: WebhookSession) -> Response:
    """Cancel a subscription; queued deliveries are dropped."""
    await webhooks.cancel_webhook(session, principal, webhook_id)
    return Response(status_code=204)
