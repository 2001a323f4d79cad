"""The production NATS permissions (deploy/nats/nats-server.conf) with the real services.

Each service connects as its own user with its own inbox prefix; contact details on
gr.notify.v1.> reach the notifications service and nobody else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import AckPolicy, ConsumerConfig

from grassroots.contracts.streams import NOTIFY
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.testing.servers import NatsCluster, NatsServer
from grassroots.kit.testing.services import DatabaseFactory, auth, eventually, run_service
from grassroots.members.main import SPEC as MEMBERS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nats" / "nats-server.conf"
USERS = ["members", "requests", "notifications", "evaluation", "integration", "ops"]


@dataclass
class Secured:
    """A NATS deployment under the production config: the node clients connect to."""

    server: NatsServer
    replicas: int


@pytest.fixture(params=["single", "cluster"])
def secured_nats(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Secured]:
    env = {f"{u.upper()}_NATS_PASSWORD": f"{u}-secret" for u in USERS}
    text = CONFIG.read_text()
    assert 'store_dir: "/data/jetstream"' in text
    if request.param == "cluster":
        # Three nodes with this very file (plus routes), streams R3.
        cluster = NatsCluster(3, base_config=CONFIG, env=env).start()
        try:
            yield Secured(cluster.nodes[0], replicas=3)
        finally:
            cluster.close()
        return
    env["SERVER_NAME"] = "test-node"
    store = tmp_path / "js"
    config = tmp_path / "nats-server.conf"
    config.write_text(text.replace('store_dir: "/data/jetstream"', f'store_dir: "{store}"'))
    server = NatsServer(store_dir=store, config=config, env=env).start()
    try:
        yield Secured(server, replicas=1)
    finally:
        server.close()


def url_for(server: NatsServer, user: str) -> str:
    return f"nats://{user}:{user}-secret@127.0.0.1:{server.port}"


async def connect(server: NatsServer, user: str) -> NatsClient:
    return await nats.connect(
        url_for(server, user), inbox_prefix=f"_INBOX_{user}", allow_reconnect=False
    )


async def refused(awaitable: object) -> bool:
    try:
        await asyncio.wait_for(awaitable, timeout=1.5)  # type: ignore[arg-type]
    except Exception:
        return True
    return False


async def test_services_run_under_their_own_users(
    secured_nats: Secured, databases: DatabaseFactory
) -> None:
    members_db, requests_db = await databases.fresh(MEMBERS), await databases.fresh(REQUESTS)
    async with (
        run_service(
            MEMBERS,
            database_url=members_db,
            nats_url=url_for(secured_nats.server, "members"),
            nats_inbox_prefix="_INBOX_members",
            nats_stream_replicas=secured_nats.replicas,
        ) as members,
        run_service(
            REQUESTS,
            database_url=requests_db,
            nats_url=url_for(secured_nats.server, "requests"),
            nats_inbox_prefix="_INBOX_requests",
            nats_stream_replicas=secured_nats.replicas,
        ) as requests_service,
    ):
        body = {
            "name": "中共鸡东县委员会",
            "area_code": "230321000000",
            "tier": "county",
            "kind": "committee",
            "domain": "organ",
        }
        created = await members.client.post("/v1/org-units", json=body, headers=auth())
        assert created.status_code == 201

        async def replicated() -> bool:
            listed = await requests_service.client.get("/v1/org-tree", headers=auth())
            return [u["id"] for u in listed.json()["items"]] == [created.json()["id"]]

        await eventually(replicated)
        assert (await members.client.get("/readyz")).status_code == 200


async def test_notify_commands_reach_only_the_notifications_service(
    secured_nats: Secured,
) -> None:
    requests_nc = await connect(secured_nats.server, "requests")
    await ensure_streams(requests_nc.jetstream(), replicas=secured_nats.replicas)
    info = await requests_nc.jetstream().stream_info(NOTIFY.name)
    assert info.config.num_replicas == secured_nats.replicas
    spies: dict[str, list[str]] = {}
    others = {}
    for user in ["evaluation", "integration", "members"]:
        nc = await connect(secured_nats.server, user)
        others[user] = nc
        seen: list[str] = []
        spies[user] = seen

        async def spy(msg: object, seen: list[str] = seen) -> None:
            seen.append(msg.subject)  # type: ignore[attr-defined]

        for subject in ["_INBOX.>", "_INBOX_notifications.>", "gr.notify.v1.>"]:
            with contextlib.suppress(Exception):  # a refusal is what we expect
                await nc.subscribe(subject, cb=spy)
        await nc.flush()
    await requests_nc.jetstream().publish(
        "gr.notify.v1.contact_upserted.23.03.21.100.201", b'{"phone": "13800000000"}'
    )

    notifications_nc = await connect(secured_nats.server, "notifications")
    subscription = await notifications_nc.jetstream().pull_subscribe(
        "gr.notify.v1.>", durable="notifications_notify", stream=NOTIFY.name
    )
    messages = await subscription.fetch(1, timeout=3)
    assert b"13800000000" in messages[0].data
    await messages[0].ack()
    await asyncio.sleep(0.5)
    assert spies == {"evaluation": [], "integration": [], "members": []}

    for user, nc in others.items():
        js = nc.jetstream(timeout=1)
        assert await refused(
            js.pull_subscribe("gr.notify.v1.>", durable=f"{user}_steal", stream=NOTIFY.name)
        ), user
        assert await refused(js.get_msg(NOTIFY.name, 1)), user
        assert await refused(
            js._jsm.add_consumer(
                NOTIFY.name, ConsumerConfig(name=f"{user}_x", ack_policy=AckPolicy.EXPLICIT)
            )
        ), user
        await nc.close()
    for nc in (requests_nc, notifications_nc):
        await nc.close()
