"""Edges of the shared HTTP contract, shown on the members service."""

from __future__ import annotations

import json

import nats
import pytest

from grassroots.contracts.streams import MEMBERS
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, auth, eventually, run_service
from grassroots.members.main import SPEC

pytestmark = pytest.mark.component

COUNTY = {
    "name": "中共鸡东县委员会",
    "area_code": "230321000000",
    "tier": "county",
    "kind": "committee",
    "domain": "organ",
}


async def test_the_correlation_id_travels_from_http_into_the_event(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    url = await databases.fresh(SPEC)
    async with run_service(SPEC, database_url=url, nats_url=nats_server.url) as members:
        response = await members.client.post(
            "/v1/org-units",
            json=COUNTY,
            headers={**auth(sub="cadre-7"), "X-Correlation-ID": "corr-1234"},
        )
        assert response.status_code == 201
        assert response.headers["x-correlation-id"] == "corr-1234"
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()

        async def published() -> bool:
            return int((await js.stream_info(MEMBERS.name)).state.messages) == 1

        await eventually(published)
        message = await js.get_msg(MEMBERS.name, 1)
        await nc.close()
    assert message.data is not None
    assert message.headers is not None
    event = json.loads(message.data)
    assert message.subject == "gr.members.v1.org_unit_created.23.03.21.000.000"
    assert message.headers["Nats-Msg-Id"] == event["id"]
    assert event["correlationid"] == "corr-1234"
    assert event["actor"] == "cadre-7"
    assert event["areacode"] == "230321000000"
    assert event["specversion"] == "1.0"
    assert event["id"][14] == "7"  # a UUIDv7


async def test_an_area_filtered_deployment_refuses_writes_outside_its_subtree(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    url = await databases.fresh(SPEC)
    async with run_service(
        SPEC, database_url=url, nats_url=nats_server.url, area_filter="23.03.22"
    ) as members:
        refused = await members.client.post("/v1/org-units", json=COUNTY, headers=auth())
        assert refused.status_code == 403
        listed = await members.client.get("/v1/org-units", headers=auth())
        assert listed.json()["items"] == []
        accepted = await members.client.post(
            "/v1/org-units",
            json={**COUNTY, "name": "中共鸡西市某县委", "area_code": "230322000000"},
            headers=auth(),
        )
        assert accepted.status_code == 201


async def test_a_body_over_the_limit_is_413(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    url = await databases.fresh(SPEC)
    async with run_service(
        SPEC, database_url=url, nats_url=nats_server.url, max_body_bytes=1000
    ) as members:
        body = {**COUNTY, "name": "名" * 2000}
        response = await members.client.post("/v1/org-units", json=body, headers=auth())
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
