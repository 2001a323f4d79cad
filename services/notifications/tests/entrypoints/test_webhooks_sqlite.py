"""Webhooks on the `make run` default: the notifications service on SQLite."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import text

from grassroots.contracts.events import requests as req
from grassroots.kit.testing.services import settings_for_tests
from grassroots.notifications.adapters.orm import notifications as n
from grassroots.notifications.config import NotificationsSettings
from grassroots.notifications.main import SPEC

pytestmark = pytest.mark.component


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database, as `make run` has it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}"
    settings = settings_for_tests(NotificationsSettings, notifications_database_url=url)
    await asyncio.to_thread(SPEC.migrate, settings)
    return url


def submitted(h: ModuleType, request_id: str) -> req.RequestSubmitted:
    return req.RequestSubmitted(
        request_id=request_id,
        org_unit_id="u-village",
        area_code=h.VILLAGE,
        service_code="hukou",
        status="submitted",
        channel="online",
        received_at=h.beijing(10),
        version=1,
        occurred_at=h.beijing(10),
    )


async def subscribe(h: ModuleType, svc: Any, url: str) -> None:
    body = {
        "url": url,
        "event_types": ["gr.requests.submitted.v1"],
        "area_code": h.COUNTY,
        "secret": "a-shared-secret-of-the-12345-line",
    }
    created = await svc.client.post("/v1/webhooks", json=body, headers=h.STAFF)
    assert created.status_code == 201, created.text


async def test_a_county_webhook_gets_a_request_submitted_in_the_county_on_sqlite(
    h: ModuleType, start_notifications: Any, publisher: Any, sqlite_url: str
) -> None:
    async with (
        h.receiver() as hook,
        start_notifications(notifications_database_url=sqlite_url) as svc,
    ):
        await subscribe(h, svc, hook.url)
        event = await publisher.publish(submitted(h, "r-1"), h.VILLAGE)

        async def delivered() -> bool:
            return bool(await svc.count(n.c.channel == "webhook", n.c.status == "delivered") == 1)

        await h.settle(delivered)
        assert len(hook.calls) == 1
        assert event.id.encode() in hook.calls[0][1]


async def test_a_webhook_created_amid_traffic_gets_the_very_next_event(
    h: ModuleType, start_notifications: Any, publisher: Any, sqlite_url: str
) -> None:
    """As in `make run`: events were flowing a moment ago, then a webhook, then a request."""
    async with (
        h.receiver() as hook,
        start_notifications(notifications_database_url=sqlite_url) as svc,
    ):
        # However long the consumer keeps its list of subscriptions, a new one counts at once.
        svc.app.state.deps.subscriptions.ttl_seconds = 3600.0
        await publisher.publish(submitted(h, "r-before"), h.VILLAGE)

        async def consumed() -> bool:
            async with svc.runtime.db.read_only() as session:
                count = await session.scalar(text("SELECT count(*) FROM kit_processed_events"))
            return bool(count)

        await h.settle(consumed)
        await subscribe(h, svc, hook.url)
        event = await publisher.publish(submitted(h, "r-after"), h.VILLAGE)

        async def delivered() -> bool:
            return bool(await svc.count(n.c.channel == "webhook", n.c.status == "delivered") == 1)

        await h.settle(delivered, timeout=10)
        assert [json.loads(body)["id"] for _, body in hook.calls] == [event.id]
