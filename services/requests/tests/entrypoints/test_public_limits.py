"""Public limits: forged X-Forwarded-For changes nothing, and replicas share one allowance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from grassroots.kit.cli import server_config
from grassroots.kit.testing.servers import NatsServer, free_port, wait_for_port
from grassroots.kit.testing.services import RunningService, auth, run_service
from grassroots.requests.main import SPEC

from ..conftest import ADMIN, CITIZEN, ITEM, VILLAGE, seed_org_tree

pytestmark = pytest.mark.component

BODY = {
    "service_code": "dibao-proxy",
    "area_code": VILLAGE,
    "description": "网上申请低保",
    "channel": "online",
    "citizen": CITIZEN,
}
LIMITS = {"requests_public_burst": 3, "requests_public_per_minute": 1}


@asynccontextmanager
async def requests_service(
    database_url: str, nats_url: str, **overrides: Any
) -> AsyncIterator[RunningService]:
    async with run_service(
        SPEC,
        database_url=database_url,
        nats_url=nats_url,
        requests_run_scanner=False,
        **{**LIMITS, **overrides},
    ) as running:
        await seed_org_tree(running.runtime)
        await running.client.post("/v1/catalog", json=ITEM, headers=ADMIN)
        yield running


@asynccontextmanager
async def over_tcp(running: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    """The app served by uvicorn as `serve` runs it, and a client calling from 127.0.0.1."""
    port = free_port()
    config = server_config(running.app, running.app.state.settings, port=port, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await asyncio.to_thread(wait_for_port, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        await task


async def test_rotating_forged_forwarded_for_is_limited_all_the_same(
    database_url: str, nats_server: NatsServer
) -> None:
    async with (
        requests_service(database_url, nats_server.url) as running,
        over_tcp(running) as client,
    ):
        codes = []
        for n in range(6):
            forged = {"X-Forwarded-For": f"203.0.113.{n}"}
            codes.append((await client.post("/v1/requests", json=BODY, headers=forged)).status_code)
        assert codes == [201, 201, 201, 429, 429, 429]
        track = [
            (await client.get("/v1/track/GR-NOPE", headers={"X-Forwarded-For": f"10.0.0.{n}"}))
            for n in range(35)
        ]
        assert track[-1].status_code == 429


async def test_a_trusted_proxy_or_the_portal_names_the_citizen(
    database_url: str, nats_server: NatsServer
) -> None:
    async with (
        requests_service(
            database_url,
            nats_server.url,
            trusted_proxies="127.0.0.0/8",
            forwarding_clients="portal-client",
        ) as running,
        over_tcp(running) as client,
    ):
        # Behind the trusted proxy each citizen has an allowance of their own ...
        for citizen in ("198.51.100.7", "198.51.100.8"):
            via_proxy = {"X-Forwarded-For": f"192.0.2.1, {citizen}"}
            codes = [
                (await client.post("/v1/requests", json=BODY, headers=via_proxy)).status_code
                for _ in range(4)
            ]
            assert codes == [201, 201, 201, 429], citizen
    async with requests_service(
        database_url, nats_server.url, forwarding_clients="portal-client"
    ) as running:
        portal = auth("cadre", sub="portal-client")
        stranger = auth("cadre", sub="some-cadre")
        # ... and so behind the portal, which acts for them with its own token.
        for n in range(2):
            headers = {**portal, "X-Forwarded-For": f"198.51.100.{20 + n}"}
            codes = [
                (await running.client.post("/v1/requests", json=BODY, headers=headers)).status_code
                for _ in range(4)
            ]
            assert codes == [201, 201, 201, 429]
        # A cadre's token is not the portal's: the header names nobody and nothing is limited.
        headers = {**stranger, "X-Forwarded-For": "198.51.100.20"}
        assert (
            await running.client.post("/v1/requests", json=BODY, headers=headers)
        ).status_code == 201
        # The portal's own token needs no cadre's role: it submits as the citizen, online only.
        website = {**auth("viewer", sub="portal-client"), "X-Forwarded-For": "198.51.100.40"}
        taken = await running.client.post("/v1/requests", json=BODY, headers=website)
        assert taken.status_code == 201, taken.text
        history = (await running.client.get(taken.headers["Location"], headers=auth())).json()
        assert history["history"][0]["actor"] == "citizen"
        by_phone = {**BODY, "channel": "hotline"}
        refused = await running.client.post("/v1/requests", json=by_phone, headers=website)
        assert refused.status_code == 401


async def test_two_replicas_on_one_database_share_the_allowance(
    database_url: str, nats_server: NatsServer
) -> None:
    async with (
        requests_service(database_url, nats_server.url) as first,
        requests_service(database_url, nats_server.url) as second,
    ):
        codes = [
            (await replica.client.post("/v1/requests", json=BODY)).status_code
            for replica in (first, second, first, second, first, second)
        ]
    assert codes == [201, 201, 201, 429, 429, 429]
