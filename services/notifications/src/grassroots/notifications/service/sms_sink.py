"""Use cases of the development SMS sink: record what would have been sent, show it masked."""

from __future__ import annotations

from typing import Any

from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.masking import mask_phone
from grassroots.kit.paging import decode_cursor
from grassroots.notifications.adapters import notifications as repo
from grassroots.notifications.service.commands import SinkIn
from grassroots.notifications.service.deps import Deps
from grassroots.notifications.service.pages import page_of


async def receive_messages(session: AsyncSession, deps: Deps, body: SinkIn) -> dict[str, Any]:
    """Record (numbers masked) the messages a gateway would have sent."""
    messages = body.all_messages()
    if not messages:
        return {"status": "accepted", "results": []}
    now = deps.clock()
    await repo.add_sink_messages(
        session,
        [
            {
                "reference": m.reference,
                "to_masked": mask_phone(m.to),
                "text": m.text,
                "segments": m.segments,
                "received_at": now,
            }
            for m in messages
        ],
    )
    results = [{"reference": m.reference, "accepted": True} for m in messages]
    return {"status": "accepted", "results": results}


async def list_messages(
    session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """What the sink recorded for the token's area, newest first."""
    after = decode_cursor(cursor)
    before = int(after) if after is not None else None
    rows = await repo.list_sink_messages(session, principal.area_prefix, before, limit)
    return page_of(rows, limit)
