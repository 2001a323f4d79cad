"""The opt-in batch consumer over a real nats-server and PostgreSQL: one transaction per fetched
batch, the inbox across batches, per-message fallback for a poison message, no waiting for a
batch to fill, and the durable kept across restarts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import nats
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated
from grassroots.contracts.streams import MEMBERS
from grassroots.kit.db import Database
from grassroots.kit.deadletters import list_dead_letters
from grassroots.kit.messaging import (
    BatchConsumer,
    BatchConsumerSpec,
    StreamReplay,
    ensure_streams,
)
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import eventually

from .conftest import effects, org_unit_created

pytestmark = pytest.mark.component

AREA = "230321100000"
DURABLE = "probe_batch_probe"


class BatchProbe:
    """Writes one row per event, then fails the whole batch if it holds a poison event."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.poison: set[str] = set()

    async def handle(self, session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        self.batches.append([e.id for e in events])
        for event in events:
            await session.execute(
                text("INSERT INTO probe_effects (event_id, area_code) VALUES (:e, :a)"),
                {"e": event.id, "a": event.areacode},
            )
        bad = self.poison.intersection(e.id for e in events)
        if bad:
            raise RuntimeError(f"poison {sorted(bad)}")

    def spec(self) -> BatchConsumerSpec:
        return BatchConsumerSpec(
            name="batch_probe",
            stream=MEMBERS,
            event_types=frozenset({OrgUnitCreated.event_type()}),
            handler=self.handle,
        )


def event(n: int) -> CloudEvent:
    data = org_unit_created(n)
    return CloudEvent(
        id=f"0193a000-0000-7000-8000-{n:012d}",
        source="/test",
        type=data.event_type(),
        subject=f"unit-{n}",
        data=data.model_dump(mode="json"),
        areacode=AREA,
    )


async def publish(url: str, events: list[CloudEvent], msg_id_suffix: str = "") -> None:
    """Publish straight to JetStream (message id = event id + suffix)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        subject = OrgUnitCreated.subject_for(AREA)
        for e in events:
            await js.publish(
                subject, e.to_json_bytes(), headers={"Nats-Msg-Id": e.id + msg_id_suffix}
            )
    finally:
        await nc.close()


async def consumer_state(url: str) -> tuple[int, int, list[str]]:
    """(pending, ack pending) of the probe's durable, and the consumers on the stream."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.consumer_info(MEMBERS.name, DURABLE)
        names = sorted(c.name for c in await js.consumers_info(MEMBERS.name))
        return int(info.num_pending or 0), int(info.num_ack_pending or 0), names
    finally:
        await nc.close()


async def inbox_size(db: Database) -> int:
    async with db.read_only() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM kit_processed_events WHERE consumer = :c"), {"c": DURABLE}
        )
    return int(count or 0)


def _count(db: Database, n: int) -> Any:
    async def applied() -> bool:
        return len(await effects(db)) >= n

    return applied


async def test_a_backlog_is_applied_in_batches_each_in_one_transaction(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = BatchProbe()
    await publish(nats_server.url, [event(n) for n in range(200)])
    async with start_probe(
        probe_db, nats_server.url, consumers=[probe.spec()], consumer_batch_size=50
    ) as service:
        db = service.runtime.db
        await eventually(_count(db, 200))

        async def all_acked() -> bool:
            pending, ack_pending, _ = await consumer_state(nats_server.url)
            return pending == 0 and ack_pending == 0

        await eventually(all_acked)
        rows = await effects(db)
        assert sorted(e for e, _ in rows) == sorted(event(n).id for n in range(200))
        assert await inbox_size(db) == 200
    sizes = [len(b) for b in probe.batches]
    assert sum(sizes) == 200
    assert max(sizes) > 1  # several events per handler call and transaction
    assert max(sizes) <= 50


async def test_duplicates_in_a_batch_and_across_batches_are_applied_once(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = BatchProbe()
    events = [event(n) for n in range(10)]
    # Different message ids get past JetStream's de-duplication: true double deliveries.
    await publish(nats_server.url, events, "-a")
    await publish(nats_server.url, events[:5], "-b")
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        db = service.runtime.db
        await eventually(_count(db, 10))
        await publish(nats_server.url, events[3:7], "-c")

        async def all_acked() -> bool:
            pending, ack_pending, _ = await consumer_state(nats_server.url)
            return pending == 0 and ack_pending == 0

        await eventually(all_acked)
        rows = await effects(db)
    assert sorted(e for e, _ in rows) == sorted(e.id for e in events)
    handled = [i for batch in probe.batches for i in batch]
    assert sorted(handled) == sorted(e.id for e in events)  # the inbox skipped the doubles


async def test_a_poison_message_is_parked_while_the_rest_of_its_batch_is_applied(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = BatchProbe()
    events = [event(n) for n in range(20)]
    poison = events[7].id
    probe.poison.add(poison)
    await publish(nats_server.url, events)
    async with start_probe(
        probe_db, nats_server.url, consumers=[probe.spec()], consumer_max_deliver=3
    ) as service:
        db = service.runtime.db

        async def parked() -> bool:
            return len(await list_dead_letters(db)) == 1

        await eventually(parked)
        letter = (await list_dead_letters(db))[0]
        assert letter["event_id"] == poison
        assert letter["deliveries"] == 3
        assert "poison" in letter["error"]
        rows = await effects(db)
    # Every other event once: the failed batch's own writes were rolled back.
    assert sorted(e for e, _ in rows) == sorted(e.id for e in events if e.id != poison)
    assert any(poison in batch and len(batch) > 1 for batch in probe.batches)
    assert [batch for batch in probe.batches if poison in batch][-1] == [poison]


async def test_a_lone_event_is_applied_at_once_not_after_a_full_batch(
    probe_db: str, nats_server: NatsServer, start_probe: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pull request that waited for a full batch would hold the event for this long.
    monkeypatch.setattr(BatchConsumer, "fetch_timeout", 30.0)
    probe = BatchProbe()
    async with start_probe(
        probe_db, nats_server.url, consumers=[probe.spec()], consumer_batch_size=500
    ) as service:
        await asyncio.sleep(0.5)  # the loop's pull request is now waiting on the server
        started = time.monotonic()
        await publish(nats_server.url, [event(1)])
        await eventually(_count(service.runtime.db, 1), timeout=10, interval=0.01)
        waited = time.monotonic() - started
    assert probe.batches == [[event(1).id]]
    assert waited < 10  # not the 30 s a batch-filling fetch would have taken


async def test_a_restart_resumes_from_the_durable(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = BatchProbe()
    first, second = [event(n) for n in range(5)], [event(n) for n in range(5, 12)]
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        await publish(nats_server.url, first)
        await eventually(_count(service.runtime.db, 5))
    await publish(nats_server.url, second)  # while no consumer runs
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        await eventually(_count(service.runtime.db, 12))
        await asyncio.sleep(0.3)
        rows = await effects(service.runtime.db)
    assert sorted(e for e, _ in rows) == sorted(e.id for e in first + second)
    handled = [i for batch in probe.batches for i in batch]
    assert sorted(handled) == sorted(e.id for e in first + second)
    _, _, names = await consumer_state(nats_server.url)
    assert names == [DURABLE]


async def test_the_batch_consumer_rides_out_a_nats_restart(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = BatchProbe()
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        await publish(nats_server.url, [event(n) for n in range(3)])
        await eventually(_count(service.runtime.db, 3))
        nats_server.stop()
        await asyncio.sleep(1.0)
        nats_server.start()
        await publish(nats_server.url, [event(n) for n in range(3, 6)])
        await eventually(_count(service.runtime.db, 6), timeout=40)
        rows = await effects(service.runtime.db)
    assert sorted(e for e, _ in rows) == sorted(event(n).id for n in range(6))


async def test_a_deleted_durable_is_created_again_and_the_inbox_skips_the_replayed_part(
    probe_db: str, nats_server: NatsServer, start_probe: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BatchConsumer, "fetch_timeout", 0.5)
    probe = BatchProbe()
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        await publish(nats_server.url, [event(n) for n in range(3)])
        await eventually(_count(service.runtime.db, 3))
        nc = await nats.connect(nats_server.url)
        await nc.jetstream().delete_consumer(MEMBERS.name, DURABLE)
        await nc.close()
        await publish(nats_server.url, [event(n) for n in range(3, 5)])
        await eventually(_count(service.runtime.db, 5))
        await asyncio.sleep(0.3)
        rows = await effects(service.runtime.db)
    # The new durable starts from the stream's beginning; the first three are duplicates.
    assert sorted(e for e, _ in rows) == sorted(event(n).id for n in range(5))


async def test_a_replay_reads_what_the_stream_held_in_order_and_in_chunks(
    nats_server: NatsServer,
) -> None:
    events = [event(n) for n in range(2500)]
    await publish(nats_server.url, events)
    nc = await nats.connect(nats_server.url)
    try:
        chunks: list[list[bytes]] = []
        async with StreamReplay(nc, MEMBERS.name, "gr.members.v1.>", chunk_size=1000) as replay:
            assert replay.total == 2500
            await publish(nats_server.url, [event(9999)])  # after the start: not replayed
            async for chunk in replay:
                chunks.append(chunk)
        names = {c.name for c in await nc.jetstream().consumers_info(MEMBERS.name)}
    finally:
        await nc.close()
    assert [len(c) for c in chunks] == [1000, 1000, 500]
    ids = [CloudEvent.from_json_bytes(raw).id for chunk in chunks for raw in chunk]
    assert ids == [e.id for e in events]
    assert names == set()  # the ephemeral consumer is gone
