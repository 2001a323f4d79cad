"""Webhooks on the `make run` default: the notifications service on SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from grassroots.contracts.events import requests as req
from grassroots.kit.testing.services import settings_for_tests
from grassroots.notifications.adapters.orm import notifications as n
from grassroots.notifications.config import NotificationsSettings
from grassroots.notifications.main import SPEC

pytestmark = pytest.mark.component


async def test_a_county_webhook_gets_a_request_submitted_in_the_county_on_sqlite(
    h: ModuleType, start_notifications: Any, publisher: Any, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}"
    settings = settings_for_tests(NotificationsSettings, notifications_database_url=url)
    await asyncio.to_thread(SPEC.migrate, settings)
    async with (
        h.receiver() as hook,
        start_notifications(notifications_database_url=url) as svc,
    ):
        body = {
            "url": hook.url,
            "event_types": ["gr.requests.submitted.v1"],
            "area_code": h.COUNTY,
            "secret": "a-shared-secret-of-the-12345-line",
        }
        created = await svc.client.post("/v1/webhooks", json=body, headers=h.STAFF)
        assert created.status_code == 201, created.text
        submitted = req.RequestSubmitted(
            request_id="r-1",
            org_unit_id="u-village",
            area_code=h.VILLAGE,
            service_code="hukou",
            status="submitted",
            channel="online",
            received_at=h.beijing(10),
            version=1,
            occurred_at=h.beijing(10),
        )
        event = await publisher.publish(submitted, h.VILLAGE)

        async def delivered() -> bool:
            return bool(await svc.count(n.c.channel == "webhook", n.c.status == "delivered") == 1)

        await h.settle(delivered)
        assert len(hook.calls) == 1
        assert event.id.encode() in hook.calls[0][1]
