"""Foundation: raw JetStream and PostgreSQL limits, and the outbox relay against them.

All numbers come from one run on this machine: a throwaway nats-server and a PostgreSQL
cluster with fsync on (as in production), both started here.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import nats
from sqlalchemy import insert

from bench.common import report, stopwatch
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated
from grassroots.contracts.streams import MEMBERS
from grassroots.kit import migrate
from grassroots.kit.db import Database
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.outbox import Outbox, OutboxRelay, new_event_id
from grassroots.kit.tables import outbox
from grassroots.kit.testing.servers import NatsServer, PostgresServer

EVENTS = int(os.environ.get("GR_BENCH_EVENTS", "20000"))
COMMITS = int(os.environ.get("GR_BENCH_COMMITS", "2000"))
NO_MIGRATIONS = Path(__file__).parent / ".no_service_migrations"


def sample_payload() -> tuple[OrgUnitCreated, bytes]:
    """A representative event and its envelope's bytes."""
    data = OrgUnitCreated(
        org_unit_id="0193a000-0000-7000-8000-000000000001",
        name="中共鸡东镇东升村支部委员会",
        area_code="230321100201",
        tier="village",
        kind="branch",
        domain="rural",
        parent_id="0193a000-0000-7000-8000-000000000000",
        version=1,
        occurred_at=datetime.now(UTC),
    )
    event = CloudEvent(
        id=new_event_id(),
        source="/grassroots/bench",
        type=data.event_type(),
        subject=data.org_unit_id,
        data=data.model_dump(mode="json"),
        areacode=data.area_code,
    )
    return data, event.to_json_bytes()


async def raw_jetstream(url: str) -> tuple[float, float]:
    """Messages/s published one at a time, and pipelined (many acks in flight)."""
    data, payload = sample_payload()
    subject = data.subject_for(data.area_code)
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js, (MEMBERS,))
    serial_n = max(1000, EVENTS // 10)
    with stopwatch() as serial:
        for i in range(serial_n):
            await js.publish(subject, payload, headers={"Nats-Msg-Id": f"s{i}"})
    with stopwatch() as pipelined:
        batch = 1000
        for start in range(0, EVENTS, batch):
            futures = [
                await js.publish_async(subject, payload, headers={"Nats-Msg-Id": f"p{i}"})
                for i in range(start, min(start + batch, EVENTS))
            ]
            await asyncio.gather(*futures)
    # GR_MEMBERS refuses purges (it keeps records); the next phase declares it afresh.
    await js.delete_stream(MEMBERS.name)
    await nc.close()
    return serial_n / serial[0], EVENTS / pipelined[0]


async def raw_postgres_commits(dsn: str) -> float:
    """Single-row INSERT + COMMIT per round trip, one connection, fsync on."""
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE bench_rows (id bigserial primary key, body text)")
    with stopwatch() as elapsed:
        for i in range(COMMITS):
            async with conn.transaction():
                await conn.execute("INSERT INTO bench_rows (body) VALUES ($1)", f"row {i}")
    await conn.close()
    return COMMITS / elapsed[0]


async def outbox_relay(db_url: str, nats_url: str, *, replicas: int = 1) -> float:
    """Events/s the relay moves from a full PostgreSQL outbox to JetStream (a fresh stream)."""
    data, _ = sample_payload()
    source = Outbox("/grassroots/bench")
    db = Database(db_url)
    rows = []
    for _ in range(EVENTS):
        event = CloudEvent(
            id=new_event_id(),
            source=source.source,
            type=data.event_type(),
            subject=data.org_unit_id,
            data=data.model_dump(mode="json"),
            areacode=data.area_code,
        )
        rows.append(Outbox.row(event, data))
    async with db.transaction() as session:
        for start in range(0, len(rows), 5000):
            await session.execute(insert(outbox), rows[start : start + 5000])
    nc = await nats.connect(nats_url.split(","))
    js = nc.jetstream()
    await ensure_streams(js, (MEMBERS,), replicas=replicas)
    relay = OutboxRelay(db, js, service="bench", batch_size=1000, poll_seconds=0.05)
    with stopwatch() as elapsed:
        task = asyncio.create_task(relay.run())
        while (await js.stream_info(MEMBERS.name)).state.messages < EVENTS:
            await asyncio.sleep(0.01)
    relay.stop()
    await task
    assert await relay.backlog() == 0
    info = await js.stream_info(MEMBERS.name)
    assert info.state.messages == EVENTS, f"stream holds {info.state.messages}, not {EVENTS}"
    await nc.close()
    await db.dispose()
    return EVENTS / elapsed[0]


async def run() -> None:
    """Measure and print the foundation figures."""
    nats_server = NatsServer().start()
    postgres = PostgresServer(fsync=True).start()
    try:
        conn = await asyncpg.connect(postgres.dsn())
        await conn.execute("CREATE DATABASE bench")
        await conn.close()
        serial, pipelined = await raw_jetstream(nats_server.url)
        report("raw_jetstream_publish_serial_per_second", serial)
        report("raw_jetstream_publish_pipelined_per_second", pipelined)
        report(
            "raw_postgres_single_row_commits_per_second",
            await raw_postgres_commits(postgres.dsn("bench")),
        )
        NO_MIGRATIONS.mkdir(exist_ok=True)
        await asyncio.to_thread(
            migrate.upgrade,
            postgres.url("bench"),
            NO_MIGRATIONS,
            "grassroots.kit.tables:kit_metadata",
        )
        relay = await outbox_relay(postgres.url("bench"), nats_server.url)
        report("outbox_relay_events_per_second", relay)
        print(f"outbox_relay_to_raw_pipelined_ratio={relay / pipelined:.3f}", flush=True)
        report("bench_events", EVENTS)
    finally:
        nats_server.close()
        postgres.close()
