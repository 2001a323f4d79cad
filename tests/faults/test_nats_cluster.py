"""The services on a three-node JetStream cluster (R3 streams) while nodes die.

Kill -9 of the stream leader under 100 intakes/s loses and doubles nothing, and the restarted
node catches up; with two of three nodes gone publishing stops but intake keeps answering from
the outbox, and everything flows once the quorum is back. Counts and recovery times go to the
test log (`pytest -s` or the captured stderr).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from types import ModuleType

import nats
import pytest

from grassroots.contracts.streams import REQUESTS as REQUESTS_STREAM
from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.testing.servers import NatsCluster
from grassroots.kit.testing.services import DatabaseFactory, eventually
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster() -> Iterator[NatsCluster]:
    nodes = NatsCluster(3, sync_always=True).start()
    try:
        yield nodes
    finally:
        nodes.close()


async def leader_of(cluster: NatsCluster, stream: str) -> str | None:
    nc = await nats.connect(cluster.url.split(","), connect_timeout=2)
    try:
        info = await nc.jetstream(timeout=2).stream_info(stream)
        return info.cluster.leader if info.cluster else None
    except Exception:
        return None
    finally:
        await nc.close()


async def replicas_current(cluster: NatsCluster, stream: str) -> bool:
    nc = await nats.connect(cluster.url.split(","), connect_timeout=2)
    try:
        info = await nc.jetstream(timeout=2).stream_info(stream)
        peers = info.cluster.replicas or [] if info.cluster else []
        return len(peers) == 2 and all(p.current and not p.lag for p in peers)
    except Exception:
        return False
    finally:
        await nc.close()


def say(text: str) -> None:
    print(f"[cluster] {text}", file=sys.stderr, flush=True)


async def test_kill_9_of_the_stream_leader_under_load_loses_and_doubles_nothing(
    h: ModuleType, cluster: NatsCluster, databases: DatabaseFactory
) -> None:
    await h.publish_tree(cluster.url, replicas=3)
    requests_db, evaluation_db = await databases.fresh(REQUESTS), await databases.fresh(EVALUATION)
    settings = {"nats_stream_replicas": 3}
    async with (
        h.requests_service(requests_db, cluster.url, **settings) as requests,
        h.evaluation_service(evaluation_db, cluster.url, **settings) as evaluation,
    ):
        info = await requests.runtime.nc.jetstream().stream_info(REQUESTS_STREAM.name)
        assert info.config.num_replicas == 3
        leader = info.cluster.leader
        load = h.Load(h.asgi_poster(requests))

        async def kill_leader() -> float:
            await asyncio.sleep(2.0)
            cluster.node(leader).kill()
            killed_at = time.monotonic()
            await eventually(lambda: _new_leader(cluster, leader), timeout=30, interval=0.1)
            return time.monotonic() - killed_at

        failover, _ = await asyncio.gather(kill_leader(), load.run(rate=100, seconds=6))
        result = await h.settled(cluster.url, h.dsn_of(requests_db), load.acknowledged)
        say(f"leader {leader} killed: {result.line()} clients={dict(load.seen)}")
        say(f"new stream leader elected {failover:.2f}s after the kill")
        assert result.acknowledged == load.sent == result.stored == result.events
        assert (result.duplicates, result.lost, result.unpublished) == (0, 0, 0)

        async def all_counted() -> bool:
            return bool(await h.received_in_county(evaluation.client) == result.acknowledged)

        await eventually(all_counted, timeout=60)

        restarted_at = time.monotonic()
        cluster.node(leader).start()
        await eventually(lambda: replicas_current(cluster, REQUESTS_STREAM.name), timeout=60)
        say(f"node {leader} restarted and caught up in {time.monotonic() - restarted_at:.2f}s")
        again = await h.audit(cluster.url, h.dsn_of(requests_db), load.acknowledged)
        assert (again.events, again.duplicates, again.lost) == (result.acknowledged, 0, 0)


async def _new_leader(cluster: NatsCluster, old: str) -> bool:
    leader = await leader_of(cluster, REQUESTS_STREAM.name)
    return leader is not None and leader != old


async def test_without_quorum_intake_answers_from_the_outbox_and_flows_when_it_returns(
    h: ModuleType, cluster: NatsCluster, databases: DatabaseFactory
) -> None:
    await h.publish_tree(cluster.url, replicas=3)
    requests_db = await databases.fresh(REQUESTS)
    async with h.requests_service(requests_db, cluster.url, nats_stream_replicas=3) as requests:
        before = h.Load(h.asgi_poster(requests))
        await before.run(rate=20, seconds=2)
        first, second = cluster.nodes[1], cluster.nodes[2]
        first.kill()
        second.kill()
        during = h.Load(h.asgi_poster(requests))
        await during.run(rate=20, seconds=4)
        assert during.acknowledged and len(during.acknowledged) == during.sent, during.seen
        backlog = await requests.runtime.relay_backlog()
        say(f"two of three nodes down: {during.sent} intakes, all 201, outbox backlog {backlog}")
        assert backlog > 0  # nothing could be published without a quorum
        returned_at = time.monotonic()
        first.start()
        second.start()
        acknowledged = before.acknowledged + during.acknowledged

        async def drained() -> bool:
            return bool(await requests.runtime.relay_backlog() == 0)

        await eventually(drained, timeout=90, interval=0.2)
        say(f"quorum back: outbox drained {time.monotonic() - returned_at:.2f}s after the restart")
        result = await h.settled(cluster.url, h.dsn_of(requests_db), acknowledged)
        say(f"after the quorum loss: {result.line()}")
        assert result.acknowledged == result.stored == result.events == len(acknowledged)
        assert (result.duplicates, result.lost, result.unpublished) == (0, 0, 0)
