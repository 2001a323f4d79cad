"""Members creates the tree; the requests service routes, escalates and publishes by it."""

from __future__ import annotations

import json

import pytest

from grassroots.contracts.streams import REQUESTS as REQUESTS_STREAM
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, auth, eventually, run_service
from grassroots.members.main import SPEC as MEMBERS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration

COUNTY, TOWN, VILLAGE = "230321000000", "230321100000", "230321100201"


async def test_a_request_is_routed_by_the_replicated_tree_and_escalated_upwards(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    urls = {spec.name: await databases.fresh(spec) for spec in (MEMBERS, REQUESTS)}
    async with (
        run_service(MEMBERS, database_url=urls["members"], nats_url=nats_server.url) as members,
        run_service(
            REQUESTS,
            database_url=urls["requests"],
            nats_url=nats_server.url,
            requests_run_scanner=False,
        ) as requests,
    ):
        ids: dict[str, str] = {}
        parent = None
        for name, area, tier, kind in (
            ("中共鸡东县委员会", COUNTY, "county", "committee"),
            ("中共鸡东镇委员会", TOWN, "township", "committee"),
            ("东升村党支部", VILLAGE, "village", "branch"),
        ):
            body = {"name": name, "area_code": area, "tier": tier, "kind": kind, "domain": "rural"}
            created = await members.client.post(
                "/v1/org-units", json={**body, "parent_id": parent}, headers=auth()
            )
            assert created.status_code == 201, created.text
            parent = ids[tier] = created.json()["id"]

        async def replicated() -> bool:
            tree = await requests.client.get("/v1/org-tree", headers=auth())
            return len(tree.json()["items"]) == 3

        await eventually(replicated)
        item = {
            "county_area": COUNTY,
            "code": "dispute-mediation",
            "name": "邻里纠纷调解",
            "category": "矛盾调解",
            "time_limit": "P7D",
            "allow_anonymous": True,
        }
        admin = auth("org_admin", org=COUNTY)
        assert (
            await requests.client.post("/v1/catalog", json=item, headers=admin)
        ).status_code == 201
        submitted = await requests.client.post(
            "/v1/requests",
            json={
                "service_code": "dispute-mediation",
                "area_code": VILLAGE,
                "description": "邻居占用宅基地",
                "anonymous": True,
            },
        )
        assert submitted.status_code == 201, submitted.text
        request = submitted.json()
        assert request["org_unit_id"] == ids["village"]
        escalated = await requests.client.post(
            f"/v1/requests/{request['id']}/escalate",
            json={"reason": "村里调解不成"},
            headers=auth("cadre", org=VILLAGE),
        )
        assert escalated.json()["org_unit_id"] == ids["township"]

        assert requests.runtime.nc is not None
        js = requests.runtime.nc.jetstream()

        async def published() -> bool:
            info = await js.stream_info(REQUESTS_STREAM.name)
            return bool(info.state.messages == 2)

        await eventually(published)
        sub = await js.pull_subscribe("gr.requests.v1.>", stream=REQUESTS_STREAM.name)
        messages = await sub.fetch(2, timeout=5)
        subjects = [m.subject for m in messages]
        assert subjects == [
            "gr.requests.v1.submitted.23.03.21.100.201",
            "gr.requests.v1.escalated.23.03.21.100.000",
        ]
        escalation = json.loads(messages[1].data)["data"]
        assert escalation["from_org_unit_id"] == ids["village"]
        assert escalation["version"] == 2 and escalation["cause"] == "manual"
