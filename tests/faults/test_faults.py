"""The scenarios of FAULTS.md as tests over real NATS and PostgreSQL (smaller loads).

Each run ends with the same audit: every acknowledged request stored once with exactly one
`submitted` event, no event twice, nothing left unpublished; the counts go to the test log.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path
from types import ModuleType

import asyncpg
import httpx
import nats
import pytest

from grassroots.contracts.envelope import CloudEvent
from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.deadletters import list_dead_letters
from grassroots.kit.messaging import StreamReplay
from grassroots.kit.testing.servers import NatsServer, PostgresServer
from grassroots.kit.testing.services import (
    DatabaseFactory,
    RunningService,
    auth,
    eventually,
    run_service,
)
from grassroots.members.main import SPEC as MEMBERS
from grassroots.notifications.main import SPEC as NOTIFICATIONS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration
SERVICES = (MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION)


def say(text: str) -> None:
    print(f"[faults] {text}", file=sys.stderr, flush=True)


async def test_nats_stopped_under_load_loses_nothing_and_the_backlog_drains(
    h: ModuleType, nats_server: NatsServer, databases: DatabaseFactory
) -> None:
    await h.publish_tree(nats_server.url)
    requests_db = await databases.fresh(REQUESTS)
    async with h.requests_service(requests_db, nats_server.url) as requests:
        load = h.Load(h.asgi_poster(requests))
        readiness: list[int] = []

        async def outage() -> None:
            await asyncio.sleep(1.5)
            nats_server.stop()
            await asyncio.sleep(0.5)
            readiness.append((await requests.client.get("/readyz")).status_code)
            await asyncio.sleep(2.5)
            nats_server.start()

        await asyncio.gather(outage(), load.run(rate=30, seconds=6))
        result = await h.settled(nats_server.url, h.dsn_of(requests_db), load.acknowledged)
        say(f"NATS stopped ~3 s: {result.line()} clients={dict(load.seen)} readyz={readiness}")
        assert readiness == [503]
        assert load.seen == Counter({"201 application/json": load.sent})
        assert result.acknowledged == result.stored == result.events == load.sent
        assert (result.duplicates, result.lost, result.unpublished) == (0, 0, 0)


async def test_two_replicas_on_one_database_publish_each_request_once(
    h: ModuleType, nats_server: NatsServer, databases: DatabaseFactory
) -> None:
    await h.publish_tree(nats_server.url)
    requests_db = await databases.fresh(REQUESTS)
    async with (
        h.requests_service(requests_db, nats_server.url) as first,
        h.requests_service(requests_db, nats_server.url) as second,
    ):
        replicas = [first, second]
        turn = [0]

        async def post(body: dict[str, object]) -> object:
            turn[0] += 1
            return await replicas[turn[0] % 2].client.post("/v1/requests", json=body)

        load = h.Load(post)
        await load.run(rate=40, seconds=5)
        result = await h.settled(nats_server.url, h.dsn_of(requests_db), load.acknowledged)
        say(f"two replicas, one database: {result.line()} clients={dict(load.seen)}")
        assert result.acknowledged == result.stored == result.events == load.sent
        assert (result.duplicates, result.lost, result.unpublished) == (0, 0, 0)


async def test_poison_events_are_parked_and_the_rest_counted_exactly_once(
    h: ModuleType, nats_server: NatsServer, databases: DatabaseFactory
) -> None:
    await h.publish_tree(nats_server.url)
    requests_db, evaluation_db = await databases.fresh(REQUESTS), await databases.fresh(EVALUATION)
    async with (
        h.requests_service(requests_db, nats_server.url) as requests,
        h.evaluation_service(evaluation_db, nats_server.url, consumer_max_deliver=2) as evaluation,
    ):
        load = h.Load(h.asgi_poster(requests))
        await load.run(rate=30, seconds=2)
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        subject = "gr.requests.v1.submitted.23.03.21.100.201"
        bad_data = (
            b'{"specversion":"1.0","id":"poison-1","source":"/x","type":"gr.requests.submitted.v1",'
            b'"subject":"r","time":"2026-12-01T10:00:00+08:00","areacode":"230321100201",'
            b'"datacontenttype":"application/json","data":{"request_id":"r-poison"}}'
        )
        await js.publish(subject, bad_data, headers={"Nats-Msg-Id": "poison-1"})
        await js.publish(subject, b"not json at all", headers={"Nats-Msg-Id": "poison-2"})
        await nc.close()
        more = h.Load(h.asgi_poster(requests))
        await more.run(rate=30, seconds=2)
        acknowledged = load.acknowledged + more.acknowledged

        async def parked() -> bool:
            return len(await list_dead_letters(evaluation.runtime.db)) == 2

        await eventually(parked, timeout=60)

        async def counted() -> bool:
            return bool(await h.received_in_county(evaluation.client) == len(acknowledged))

        await eventually(counted, timeout=60)
        result = await h.settled(nats_server.url, h.dsn_of(requests_db), acknowledged)
        letters = await list_dead_letters(evaluation.runtime.db)
        say(f"poison: {result.line()} parked={[(d['event_id'], d['deliveries']) for d in letters]}")
        assert sorted(str(d["event_id"]) for d in letters) == ["None", "poison-1"]
        assert result.acknowledged == result.stored == result.events == len(acknowledged)
        assert (result.duplicates, result.lost) == (0, 0)


async def test_kill_9_of_requests_mid_load_and_a_restart_lose_and_double_nothing(
    h: ModuleType, nats_server: NatsServer, databases: DatabaseFactory, tmp_path: Path
) -> None:
    await h.publish_tree(nats_server.url)
    requests_db = await databases.fresh(REQUESTS)
    service = h.ServiceProcess("requests", requests_db, nats_server.url, tmp_path)
    service.start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as client:
            await service.ready(client)
            await h.prepare_requests(client)
            load = h.Load(h.http_poster(client, [service.base_url]))

            async def crash() -> None:
                await asyncio.sleep(2.0)
                service.kill()
                await asyncio.sleep(2.0)
                service.start()

            await asyncio.gather(crash(), load.run(rate=30, seconds=6))
            await service.ready(client)
            result = await h.settled(nats_server.url, h.dsn_of(requests_db), load.acknowledged)
        say(f"kill -9 of requests: {result.line()} clients={dict(load.seen)}")
        assert load.seen["201 application/json"] == result.acknowledged > 0
        assert result.acknowledged < load.sent  # some were refused while it was down
        assert result.acknowledged == result.stored == result.events
        assert (result.duplicates, result.lost, result.unpublished) == (0, 0, 0)
        assert set(load.seen) <= {
            "201 application/json",
            "ConnectError",
            "ReadError",
            "RemoteProtocolError",
        }
    finally:
        service.stop()


async def test_kill_9_of_evaluation_while_consuming_counts_every_request_once(
    h: ModuleType, nats_server: NatsServer, databases: DatabaseFactory, tmp_path: Path
) -> None:
    await h.publish_tree(nats_server.url)
    requests_db, evaluation_db = await databases.fresh(REQUESTS), await databases.fresh(EVALUATION)
    evaluation = h.ServiceProcess("evaluation", evaluation_db, nats_server.url, tmp_path)
    evaluation.start()
    try:
        async with (
            h.requests_service(requests_db, nats_server.url) as requests,
            httpx.AsyncClient(base_url=evaluation.base_url, timeout=10) as client,
        ):
            await evaluation.ready(client)
            load = h.Load(h.asgi_poster(requests))

            async def crash() -> None:
                await asyncio.sleep(2.0)
                evaluation.kill()
                await asyncio.sleep(1.0)
                evaluation.start()

            await asyncio.gather(crash(), load.run(rate=30, seconds=5))
            await evaluation.ready(client)

            async def counted() -> bool:
                return bool(await h.received_in_county(client) == len(load.acknowledged))

            await eventually(counted, timeout=90)
            result = await h.settled(nats_server.url, h.dsn_of(requests_db), load.acknowledged)
            # A while longer: a late redelivery counted twice would show now.
            await asyncio.sleep(2.0)
            received = await h.received_in_county(client)
        say(f"kill -9 of evaluation: {result.line()} counts.received={received}")
        assert received == result.acknowledged == load.sent
        assert (result.duplicates, result.lost) == (0, 0)
    finally:
        evaluation.stop()


async def test_postgresql_stopped_under_load_loses_and_doubles_nothing(
    h: ModuleType,
    nats_server: NatsServer,
    databases: DatabaseFactory,
    postgres_server: PostgresServer,
    tmp_path: Path,
) -> None:
    await h.publish_tree(nats_server.url)
    requests_db = await databases.fresh(REQUESTS)
    service = h.ServiceProcess("requests", requests_db, nats_server.url, tmp_path)
    service.start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as client:
            await service.ready(client)
            await h.prepare_requests(client)
            load = h.Load(h.http_poster(client, [service.base_url]))

            async def outage() -> None:
                await asyncio.sleep(1.5)
                await asyncio.to_thread(postgres_server.stop)
                await asyncio.sleep(2.0)
                await asyncio.to_thread(postgres_server.start)

            await asyncio.gather(outage(), load.run(rate=30, seconds=6))
            await service.ready(client, timeout=60)  # it recovers by itself
            result = await h.settled(nats_server.url, h.dsn_of(requests_db), load.acknowledged)
    finally:
        service.stop()
    say(f"PostgreSQL stopped ~2 s: {result.line()} clients={dict(load.seen)}")
    refused = {k: v for k, v in load.seen.items() if not k.startswith("201")}
    assert refused, "the outage was not seen at all"
    # While the database is away, and while it shuts down and starts up again, every refusal
    # is a 503 problem with Retry-After: never a 500, never a reset connection.
    assert set(refused) == {"503 application/problem+json retry-after"}, refused
    assert result.acknowledged == result.stored == result.events
    assert (result.duplicates, result.lost, result.unpublished) == (0, 0, 0)


async def outbox_rows(database_url: str) -> list[tuple[str, str, bool]]:
    """(event id, subject, published) of every outbox row of a service's database."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT event_id, subject, published_at FROM kit_outbox")
    finally:
        await conn.close()
    return [(r["event_id"], r["subject"], r["published_at"] is not None) for r in rows]


async def event_ids_on(nats_url: str, stream: str, subject: str) -> set[str]:
    """The ids of every event a stream holds on `subject`."""
    nc = await nats.connect(nats_url)
    try:
        ids: set[str] = set()
        async with StreamReplay(nc, stream, subject) as replay:
            async for chunk in replay:
                ids.update(CloudEvent.from_json_bytes(raw).id for raw in chunk)
        return ids
    finally:
        await nc.close()


async def test_nats_stopped_every_service_is_unready_and_its_outbox_writes_succeed(
    h: ModuleType, nats_server: NatsServer, databases: DatabaseFactory
) -> None:
    """No HTTP route publishes to NATS itself: while it is down /readyz says 503 on every
    service, writes that raise events still answer 201 (the outbox keeps their events),
    and once it is back every service is ready again and its outbox drains to the streams."""
    await h.publish_tree(nats_server.url)
    urls = {spec.name: await databases.fresh(spec) for spec in SERVICES}
    county_admin = auth("org_admin", h.COUNTY)
    async with AsyncExitStack() as stack:
        running = {
            "requests": await stack.enter_async_context(
                h.requests_service(urls["requests"], nats_server.url)
            )
        }
        for spec in (MEMBERS, NOTIFICATIONS, EVALUATION):
            running[spec.name] = await stack.enter_async_context(
                run_service(spec, database_url=urls[spec.name], nats_url=nats_server.url)
            )
        for name in ("notifications", "evaluation"):
            client = running[name].client

            async def replicated(client: httpx.AsyncClient = client) -> bool:
                tree = await client.get("/v1/org-tree", headers=auth())
                return tree.status_code == 200 and len(tree.json()["items"]) == len(h.UNITS)

            await eventually(replicated, timeout=60)

        nats_server.stop()
        for service in running.values():

            async def unready(service: RunningService = service) -> bool:
                return (await service.client.get("/readyz")).status_code == 503

            await eventually(unready, timeout=30)
        writes = {
            "members": await running["members"].client.post(
                "/v1/org-units",
                json={
                    "name": "中共鸡东县委员会",
                    "area_code": h.COUNTY,
                    "tier": "county",
                    "kind": "committee",
                    "domain": "organ",
                },
                headers=auth(),
            ),
            "requests": await running["requests"].client.post("/v1/requests", json=h.INTAKE),
            "notifications": await running["notifications"].client.post(
                "/v1/broadcasts",
                json={"org_unit_id": "u-town", "title": "学习通知", "body": "周五学习。"},
                headers=county_admin,
            ),
            "evaluation": await running["evaluation"].client.post(
                "/v1/rankings/publish",
                json={"parent": "u-county", "period": "2026-11"},
                headers=county_admin,
            ),
        }
        during = {name: (await s.client.get("/readyz")).status_code for name, s in running.items()}
        pending = {name: [r for r in await outbox_rows(urls[name]) if not r[2]] for name in urls}
        nats_server.start()
        for service in running.values():

            async def ready(service: RunningService = service) -> bool:
                return (await service.client.get("/readyz")).status_code == 200

            await eventually(ready, timeout=60)
        for name in urls:

            async def drained(name: str = name) -> bool:
                return all(published for _, _, published in await outbox_rows(urls[name]))

            await eventually(drained, timeout=60)
    say(
        f"NATS stopped, one write per service: { ({n: r.status_code for n, r in writes.items()}) }"
        f" readyz while down={during} unpublished while down="
        f"{ ({n: len(p) for n, p in pending.items()}) }"
    )
    assert {name: r.status_code for name, r in writes.items()} == dict.fromkeys(writes, 201), {
        name: r.text for name, r in writes.items() if r.status_code != 201
    }
    assert during == dict.fromkeys(running, 503)
    # The writes that raise events kept them in the outbox, and each reached its stream.
    for name, stream in (
        ("members", "GR_MEMBERS"),
        ("requests", "GR_REQUESTS"),
        ("evaluation", "GR_EVALUATION"),
    ):
        assert pending[name], f"{name} wrote no event while NATS was down"
        on_stream = await event_ids_on(nats_server.url, stream, ">")
        assert {event_id for event_id, _, _ in pending[name]} <= on_stream, name
