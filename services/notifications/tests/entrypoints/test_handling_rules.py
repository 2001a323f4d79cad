"""Extensions, reminders and supervision notices reach the right people (real NATS, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest

from grassroots.contracts.events import requests as req
from grassroots.notifications.adapters.orm import notifications as n

from .test_delivery import CITIZEN, REQUEST, request_event, sink, tree

pytestmark = pytest.mark.component


async def test_extension_chasing_and_supervision_notify_citizen_handler_and_supervisors(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await tree(h, publisher)
    await publisher.member("m-handler", "u-village", h.VILLAGE, ["handler"])
    await publisher.member("m-village-super", "u-village", h.VILLAGE, ["supervisor"])
    await publisher.member("m-town-super", "u-town", h.TOWNSHIP, ["supervisor"])
    await publisher.contact(
        CITIZEN, h.VILLAGE, phone="13800001234", tracking_code="JD7K2M9Q", request_id=REQUEST
    )
    new_due = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    async with start_notifications() as svc:
        await svc.contacts_stored(1)

        async def members_ready() -> bool:
            return bool(await svc.member_count() >= 3)

        await h.settle(members_ready)
        common: dict[str, Any] = {"status": "in_progress", "handler_member_id": "m-handler"}
        events = [
            request_event(
                req.ExtensionDecided,
                5,
                **common,
                extension_id="e-rejected",
                decision="rejected",
                requested_due_at=new_due,
            ),
            request_event(
                req.ExtensionDecided,
                6,
                **{**common, "due_at": new_due},
                extension_id="e-approved",
                decision="approved",
                requested_due_at=new_due,
            ),
            request_event(req.RequestChased, 7, **{**common, "due_at": new_due}),
            request_event(
                req.RequestSupervised,
                8,
                **{**common, "due_at": new_due},
                breached_org_unit_id="u-village",
                supervising_org_unit_id="u-town",
            ),
        ]
        for data in events:
            await publisher.publish(data, h.VILLAGE, twice=True)

        async def all_planned() -> bool:
            return bool(await svc.count(n.c.request_id == REQUEST) >= 4)

        await h.settle(all_planned)
        # Members without a stored phone get the inbox only; the rejected extension tells nobody.
        await asyncio.sleep(1.0)  # let any duplicate or wrong rule surface before counting
        rows = await svc.rows(n.c.request_id == REQUEST)
        got = sorted((r.rule, r.recipient_id, r.channel) for r in rows)
        assert got == sorted(
            [
                ("citizen_extended", CITIZEN, "sms"),
                ("handler_chased", "member:m-handler", "inbox"),
                ("supervisor_chased", "member:m-village-super", "inbox"),
                ("supervisor_supervised", "member:m-town-super", "inbox"),
            ]
        )

        async def citizen_told() -> bool:
            return any("新的办结时间为2026-12-05 17:00" in m["text"] for m in await sink(svc))

        await h.settle(citizen_told)
