"""The notifications service's /metrics passes promtool and carries its business metrics."""

from __future__ import annotations

import shutil
import subprocess

import nats
import pytest

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated
from grassroots.kit.clock import utcnow
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.outbox import new_event_id
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, auth, eventually, run_service
from grassroots.notifications.main import SPEC as NOTIFICATIONS

pytestmark = pytest.mark.integration


async def test_notifications_metrics_pass_promtool_after_a_broadcast(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is needed: apt-get install prometheus"
    unit_id = "0193a000-0000-7000-8000-00000000c0c1"
    county = OrgUnitCreated(
        org_unit_id=unit_id,
        name="中共鸡东县委员会",
        area_code="230321000000",
        tier="county",
        kind="committee",
        domain="organ",
        version=1,
        occurred_at=utcnow(),
    )
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        event = CloudEvent(
            id=new_event_id(),
            source="/grassroots/members",
            type=county.event_type(),
            subject=unit_id,
            data=county.model_dump(mode="json"),
            areacode=county.area_code,
        )
        await js.publish(
            county.subject_for(county.area_code),
            event.to_json_bytes(),
            headers={"Nats-Msg-Id": event.id},
        )
    finally:
        await nc.close()
    notifications_url = await databases.fresh(NOTIFICATIONS)
    async with run_service(
        NOTIFICATIONS, database_url=notifications_url, nats_url=nats_server.url
    ) as notifications:

        async def replicated() -> bool:
            page = await notifications.client.get("/v1/org-tree", headers=auth())
            return any(u["id"] == unit_id for u in page.json()["items"])

        await eventually(replicated)
        broadcast = await notifications.client.post(
            "/v1/broadcasts",
            json={"org_unit_id": unit_id, "title": "通知", "body": "集中学习。"},
            headers=auth(),
        )
        assert broadcast.status_code == 201
        await notifications.client.get(f"/v1/broadcasts/{broadcast.json()['id']}", headers=auth())
        text = (await notifications.client.get("/metrics")).text
        result = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert 'route="/v1/broadcasts/{broadcast_id}"' in text
        assert unit_id not in text
        for name in (
            "gr_notifications_total",
            "gr_notification_delivery_seconds",
            "gr_notification_retries_total",
            "gr_notifications_dead_total",
            "gr_webhook_failures_total",
            "gr_notifications_oldest_pending_age_seconds",
        ):
            assert name in text, name
