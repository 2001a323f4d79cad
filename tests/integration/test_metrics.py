"""Every service's /metrics passes `promtool check metrics`, with bounded labels."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, auth, eventually, run_service
from grassroots.members.main import SPEC as MEMBERS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is needed: apt-get install prometheus (.ci/run installs it)"
    return found


async def test_metrics_pass_promtool_and_use_route_templates(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    members_url, requests_url = await databases.fresh(MEMBERS), await databases.fresh(REQUESTS)
    async with (
        run_service(MEMBERS, database_url=members_url, nats_url=nats_server.url) as members,
        run_service(REQUESTS, database_url=requests_url, nats_url=nats_server.url) as reqs,
    ):
        body = {
            "name": "中共鸡东县委员会",
            "area_code": "230321000000",
            "tier": "county",
            "kind": "committee",
            "domain": "organ",
        }
        created = await members.client.post("/v1/org-units", json=body, headers=auth())
        unit_id = created.json()["id"]
        await members.client.get(f"/v1/org-units/{unit_id}", headers=auth())
        await members.client.get("/v1/nowhere")

        async def consumed() -> bool:
            text = (await reqs.client.get("/metrics")).text
            return "gr_events_consumed_total{" in text

        await eventually(consumed)
        for service in (members, reqs):
            text = (await service.client.get("/metrics")).text
            result = subprocess.run(
                [promtool(), "check", "metrics"],
                input=text,
                capture_output=True,
                text=True,
                check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            assert unit_id not in text
            assert "gr.members.v1." not in text  # no raw subjects as label values
        members_text = (await members.client.get("/metrics")).text
        assert 'route="/v1/org-units/{unit_id}"' in members_text
        assert 'route="unmatched"' in members_text
        assert "gr_events_published_total" in members_text
        assert "gr_outbox_backlog" in members_text
