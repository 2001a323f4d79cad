"""Delivery guarantees over a real nats-server and PostgreSQL (DESIGN.md, each must be shown)."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import pytest

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated
from grassroots.contracts.streams import MEMBERS
from grassroots.kit import cli
from grassroots.kit.app import Runtime
from grassroots.kit.db import Database
from grassroots.kit.deadletters import list_dead_letters, request_replay
from grassroots.kit.messaging import ConsumerSpec, EventConsumers
from grassroots.kit.outbox import OutboxRelay
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import eventually

from .conftest import Probe, ProbeSettings, effects, org_unit_created, write_events

pytestmark = pytest.mark.component


async def stream_count(url: str, stream: str = MEMBERS.name) -> int:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(stream)
        return int(info.state.messages)
    finally:
        await nc.close()


async def _effects_equal(db: Database, n: int) -> bool:
    return len(await effects(db)) == n


async def test_crash_between_commit_and_publish_loses_nothing(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = Probe()
    # The producer commits but its relay never runs: the process "dies" before publishing.
    async with start_probe(probe_db, nats_server.url, run_relay=False) as producer:
        await write_events(producer.runtime, 3)
        assert await producer.runtime.relay_backlog() == 3
    assert await stream_count(nats_server.url) == 0
    async with (
        start_probe(probe_db, nats_server.url, consumers=[probe.spec()], run_relay=False) as c,
        start_probe(probe_db, nats_server.url) as restarted,
    ):

        async def delivered() -> bool:
            return len(await effects(c.runtime.db)) == 3

        await eventually(delivered)

        # The relay marks rows published after JetStream acknowledged them, so under load the
        # consumer's effect can commit first: wait for the mark instead of racing it.
        async def drained() -> bool:
            return bool(await restarted.runtime.relay_backlog() == 0)

        await eventually(drained)
    assert len({e for e, _ in await effects(Database(probe_db))}) == 3


async def test_crash_after_publish_before_marking_sent_publishes_once(
    probe_db: str, nats_server: NatsServer, start_probe: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = Probe()
    original = OutboxRelay._mark_sent
    crashes = {"left": 1}

    async def crash_once(session: Any, ids: list[int]) -> None:
        if crashes["left"]:
            crashes["left"] -= 1
            raise ConnectionError("relay died after publishing")
        await original(session, ids)

    monkeypatch.setattr(OutboxRelay, "_mark_sent", staticmethod(crash_once))
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        await write_events(service.runtime, 5)

        async def all_marked() -> bool:
            return bool(await service.runtime.relay_backlog() == 0)

        await eventually(all_marked)
        await eventually(lambda: _effects_equal(service.runtime.db, 5))
        await asyncio.sleep(0.5)
        assert len(await effects(service.runtime.db)) == 5
    assert crashes["left"] == 0
    # Published twice, stored once: JetStream de-duplicated on Nats-Msg-Id = event id.
    assert await stream_count(nats_server.url) == 5


async def test_the_same_event_delivered_twice_has_one_effect(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = Probe()
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        data = org_unit_created(1)
        event = CloudEvent(
            id="0193a000-0000-7000-8000-00000000abcd",
            source="/test",
            type=data.event_type(),
            subject="unit-1",
            data=data.model_dump(mode="json"),
            areacode="230321100000",
        )
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        subject = data.subject_for("230321100000")
        # Two different message ids defeat the stream's de-duplication: a true double delivery.
        await js.publish(subject, event.to_json_bytes(), headers={"Nats-Msg-Id": "a"})
        await js.publish(subject, event.to_json_bytes(), headers={"Nats-Msg-Id": "b"})

        async def both_acked() -> bool:
            info = await js.consumer_info(MEMBERS.name, "probe_probe")
            return int(info.ack_floor.stream_seq) == 2

        await eventually(both_acked)
        await nc.close()
        assert await effects(service.runtime.db) == [(event.id, "230321100000")]
        assert probe.calls == 1  # the second delivery was skipped by the inbox before the handler


async def test_redelivery_after_a_crash_before_ack_has_one_effect(
    probe_db: str, nats_server: NatsServer, start_probe: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = Probe()
    original = EventConsumers.process
    deliveries: list[int] = []

    async def crash_after_commit(self: EventConsumers, spec: Any, message: Any) -> None:
        deliveries.append(int(message.raw_message.metadata.num_delivered))
        await original(self, spec, message)
        if len(deliveries) == 1:
            raise RuntimeError("consumer crashed after commit, before ack")

    monkeypatch.setattr(EventConsumers, "process", crash_after_commit)
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        await write_events(service.runtime, 1)
        await eventually(lambda: _deliveries_at_least(deliveries, 2))
        await asyncio.sleep(0.3)
        assert len(await effects(service.runtime.db)) == 1
    assert deliveries[:2] == [1, 2]


async def _deliveries_at_least(deliveries: list[int], n: int) -> bool:
    return len(deliveries) >= n


async def test_a_failing_handler_gets_the_message_again(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = Probe()
    probe.failures_left = 2
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        await write_events(service.runtime, 1)
        await eventually(lambda: _effects_equal(service.runtime.db, 1))
        assert probe.calls == 3
        assert await list_dead_letters(service.runtime.db) == []


async def test_a_poison_message_is_parked_then_replayed_from_the_cli(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = Probe()
    probe.always_fail = True
    async with start_probe(
        probe_db, nats_server.url, consumers=[probe.spec()], consumer_max_deliver=3
    ) as service:
        db = service.runtime.db
        await write_events(service.runtime, 1)

        async def parked() -> bool:
            return len(await list_dead_letters(db)) == 1

        await eventually(parked)
        letter = (await list_dead_letters(db))[0]
        assert letter["deliveries"] == 3
        assert "probe handler failure" in letter["error"]
        assert probe.calls == 3
        assert await effects(db) == []

        # The operator fixes the cause, then replays from the command line.
        probe.always_fail = False
        spec = cli.ServiceSpec(
            name="probe",
            settings_factory=lambda: ProbeSettings(
                probe_database_url=probe_db, nats_url=nats_server.url, log_json=False
            ),
            app_factory=lambda s: None,  # type: ignore[arg-type,return-value]
            versions_dir=service.runtime.settings.var_dir,
            metadata_ref="grassroots.kit.tables:kit_metadata",
        )
        assert await asyncio.to_thread(cli.run, spec, ["dead-letters", "list"]) == 0
        assert await asyncio.to_thread(cli.run, spec, ["dead-letters", "replay"]) == 0
        await eventually(lambda: _effects_equal(db, 1))
        assert await list_dead_letters(db) == []
        assert len(await list_dead_letters(db, include_replayed=True)) == 1
        # Nothing went back on the bus: the stream holds the one original event.
        assert await stream_count(nats_server.url) == 1


async def test_a_replay_reaches_only_the_consumer_that_parked_it(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    parker, bystander = Probe(), Probe()
    parker.always_fail = True
    bystander_spec = ConsumerSpec(name="bystander", stream=MEMBERS)
    bystander_spec.handlers[OrgUnitCreated.event_type()] = bystander.handle
    async with start_probe(
        probe_db,
        nats_server.url,
        consumers=[parker.spec(), bystander_spec],
        consumer_max_deliver=2,
    ) as service:
        db = service.runtime.db
        await write_events(service.runtime, 1)

        async def parked() -> bool:
            return len(await list_dead_letters(db)) == 1 and bystander.calls == 1

        await eventually(parked)
        parker.always_fail = False
        assert await request_replay(db) == 1
        await eventually(lambda: _effects_equal(db, 2))
        assert (parker.calls, bystander.calls) == (3, 1)
        assert await stream_count(nats_server.url) == 1
        await asyncio.sleep(1.0)  # a stray redelivery to the bystander would show by now
        assert bystander.calls == 1
        assert len(await list_dead_letters(db, include_replayed=True)) == 1


async def test_a_replay_that_fails_again_stays_parked_with_its_new_error(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = Probe()
    probe.always_fail = True
    async with start_probe(
        probe_db, nats_server.url, consumers=[probe.spec()], consumer_max_deliver=1
    ) as service:
        db = service.runtime.db
        await write_events(service.runtime, 1)

        async def parked() -> bool:
            return len(await list_dead_letters(db)) == 1

        await eventually(parked)
        assert await request_replay(db) == 1
        await service.runtime.consumers.apply_replays()
        letter = (await list_dead_letters(db))[0]
        assert letter["error"].startswith("replay failed:")
        assert letter["replay_requested_at"] is None
        assert await effects(db) == []


async def test_services_ride_out_a_nats_restart(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    probe = Probe()
    async with start_probe(probe_db, nats_server.url, consumers=[probe.spec()]) as service:
        runtime: Runtime = service.runtime
        await write_events(runtime, 2)
        await eventually(lambda: _effects_equal(runtime.db, 2))

        nats_server.stop()
        await eventually(lambda: _not_ready(service.client))
        # Written while NATS is down: committed to the outbox, published later.
        async with runtime.db.transaction() as session:
            for n in range(10, 15):
                await runtime.outbox.add(
                    session, org_unit_created(n), area_code="230321100000", aggregate_id=f"u{n}"
                )
        await asyncio.sleep(1.0)
        assert await runtime.relay_backlog() == 5

        nats_server.start()
        await eventually(lambda: _effects_equal(runtime.db, 7), timeout=40)
        assert await runtime.relay_backlog() == 0
        ready = await service.client.get("/readyz")
        assert ready.status_code == 200, ready.text


async def _not_ready(client: Any) -> bool:
    return bool((await client.get("/readyz")).status_code == 503)


async def test_two_area_filtered_deployments_split_the_events(
    probe_db: str, nats_server: NatsServer, start_probe: Any, databases: Any
) -> None:
    county_a, county_b = Probe(), Probe()
    async with (
        start_probe(probe_db, nats_server.url) as producer,
        start_probe(
            probe_db,
            nats_server.url,
            consumers=[county_a.spec()],
            run_relay=False,
            area_filter="23.03.21",
        ) as a,
        start_probe(
            probe_db,
            nats_server.url,
            consumers=[county_b.spec()],
            run_relay=False,
            area_filter="23.03.22",
        ),
    ):
        await write_events(producer.runtime, 3, area_code="230321100000")
        await write_events(producer.runtime, 2, area_code="230322100000")
        await write_events(producer.runtime, 4, area_code="230400000000")  # neither county
        await eventually(lambda: _effects_equal(a.runtime.db, 5))
        await asyncio.sleep(0.5)
        rows = await effects(a.runtime.db)
        assert sorted(area for _, area in rows) == ["230321100000"] * 3 + ["230322100000"] * 2
        assert (county_a.calls, county_b.calls) == (3, 2)
    nc = await nats.connect(nats_server.url)
    names = {c.name for c in await nc.jetstream().consumers_info(MEMBERS.name)}
    await nc.close()
    assert names == {"probe_probe_23_03_21", "probe_probe_23_03_22"}


async def test_two_relays_on_postgresql_never_publish_a_row_twice(
    probe_db: str, nats_server: NatsServer, start_probe: Any
) -> None:
    async with start_probe(probe_db, nats_server.url, run_relay=False) as producer:
        for _ in range(4):
            await write_events(producer.runtime, 500)
        nc = await nats.connect(nats_server.url)
        published: list[str] = []

        class CountingJs:
            def __init__(self, js: Any) -> None:
                self.js = js

            async def publish_async(self, subject: str, payload: bytes, headers: Any) -> Any:
                published.append(headers["Nats-Msg-Id"])
                return await self.js.publish_async(subject, payload, headers=headers)

        js = CountingJs(nc.jetstream())
        relays = [
            OutboxRelay(producer.runtime.db, js, service="probe", batch_size=100) for _ in range(3)
        ]
        while await producer.runtime.relay_backlog():
            await asyncio.gather(*(r.publish_batch() for r in relays))
        await nc.close()
    assert len(published) == 2000
    assert len(set(published)) == 2000
    assert await stream_count(nats_server.url) == 2000
