"""Routes of the development SMS gateway (mounted only where settings allow)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from grassroots.kit.guards import OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.notifications.entrypoints.http.deps import AppDeps, ReadSession, Session
from grassroots.notifications.entrypoints.http.schemas import SinkOut, shaped
from grassroots.notifications.service import sms_sink
from grassroots.notifications.service.commands import SinkIn

router = APIRouter(prefix="/dev", tags=["development"])


@router.post("/sms-sink", status_code=202)
async def sms_sink_receive(body: SinkIn, session: Session, deps: AppDeps) -> dict[str, Any]:
    """The development SMS gateway: records what would have been sent."""
    return await sms_sink.receive_messages(session, deps, body)


@router.get("/sms-sink", response_model=Page[SinkOut])
async def sms_sink_list(
    principal: OrgAdmin, session: ReadSession, limit: Limit = 50, cursor: Cursor = None
) -> Page[SinkOut]:
    """What the development sink recorded for the token's area, newest first (admins)."""
    rows, next_cursor = await sms_sink.list_messages(session, principal, limit, cursor)
    return Page(items=[shaped(SinkOut, r) for r in rows], next_cursor=next_cursor)
