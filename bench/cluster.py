"""NATS topologies: intake into PostgreSQL with events on one node (R1) and on a three-node
cluster (R3), and the outbox relay's throughput on both; the ratios R3/R1.

Both run `sync_interval: always` (the deploy/ setting) and fsync-on PostgreSQL; the requests
service runs under uvicorn in a subprocess with GR_NATS_STREAM_REPLICAS set to the topology's
replicas and every node as a seed in GR_NATS_URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import time

import aiohttp
import asyncpg
import nats

from bench import foundation
from bench import requests as intake
from bench.common import report, stopwatch
from grassroots.contracts.streams import REQUESTS
from grassroots.kit import migrate
from grassroots.kit.auth import issue_token
from grassroots.kit.testing.servers import NatsCluster, NatsServer, PostgresServer, free_port
from grassroots.requests.config import RequestsSettings
from grassroots.requests.main import SPEC

RATE = int(os.environ.get("GR_BENCH_CLUSTER_RATE", "300"))
SECONDS = float(os.environ.get("GR_BENCH_CLUSTER_SECONDS", "10"))


async def intake_run(postgres: PostgresServer, nats_url: str, replicas: int, name: str) -> float:
    """Offer RATE intakes/s for SECONDS; report what completed and how the events followed."""
    conn = await asyncpg.connect(postgres.dsn())
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    db_url = postgres.url(name)
    await asyncio.to_thread(SPEC.migrate, RequestsSettings(requests_database_url=db_url))
    await intake.seed(postgres.dsn(name))
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    process = intake.start_service(
        db_url, nats_url, port, log, {"GR_NATS_STREAM_REPLICAS": str(replicas)}
    )
    token = issue_token(intake.SECRET, sub="bench-cadre", role="cadre", org=intake.COUNTY)
    body = {
        "service_code": "dibao-proxy",
        "area_code": intake.VILLAGE,
        "description": "母亲年老多病，申请低保，请村里代办",
        "channel": "window",
        "citizen": {"name": "王秀兰", "phone": "13845671234"},
    }
    payload = json.dumps(body).encode()
    base = f"http://127.0.0.1:{port}"
    label = f"nats_r{replicas}"
    try:
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            connector=aiohttp.TCPConnector(limit=intake.IN_FLIGHT),
            timeout=aiohttp.ClientTimeout(total=30),
        ) as client:
            await intake.wait_ready(client, base, within=120)

            async def submit() -> int:
                async with client.post(f"{base}/v1/requests", data=payload) as response:
                    await response.read()
                    return response.status

            await intake.offered_load(50, 2, submit)
            rate, latencies, errors = await intake.offered_load(RATE, SECONDS, submit)
        expected = 100 + len(latencies)
        nc = await nats.connect(nats_url.split(","))
        js = nc.jetstream()
        deadline = time.monotonic() + 120
        with stopwatch() as drain:
            while (await js.stream_info(REQUESTS.name)).state.messages < expected:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
        info = await js.stream_info(REQUESTS.name)
        await nc.close()
        report(f"{label}_intake_offered_per_second", float(RATE))
        report(f"{label}_intake_completed_per_second", rate)
        report(f"{label}_intake_p50_ms", intake.percentile(latencies, 50) * 1000)
        report(f"{label}_intake_p99_ms", intake.percentile(latencies, 99) * 1000)
        report(f"{label}_intake_errors", errors)
        report(f"{label}_stream_replicas", info.config.num_replicas or 1)
        report(f"{label}_intake_events_expected", expected)
        report(f"{label}_intake_events_in_stream", info.state.messages)
        report(f"{label}_intake_outbox_drain_after_load_seconds", drain[0])
        return rate
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


async def relay_run(postgres: PostgresServer, nats_url: str, replicas: int, name: str) -> float:
    """The outbox relay draining a full outbox of foundation.EVENTS events."""
    conn = await asyncpg.connect(postgres.dsn())
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    foundation.NO_MIGRATIONS.mkdir(exist_ok=True)
    await asyncio.to_thread(
        migrate.upgrade,
        postgres.url(name),
        foundation.NO_MIGRATIONS,
        "grassroots.kit.tables:kit_metadata",
    )
    rate = await foundation.outbox_relay(postgres.url(name), nats_url, replicas=replicas)
    report(f"nats_r{replicas}_outbox_relay_events_per_second", rate)
    return rate


async def run() -> None:
    """Both topologies, one after the other, on one PostgreSQL."""
    postgres = PostgresServer(fsync=True).start()
    single = NatsServer(sync_always=True).start()
    try:
        r1_intake = await intake_run(postgres, single.url, 1, "bench_cluster_r1")
        r1_relay = await relay_run(postgres, single.url, 1, "bench_relay_r1")
    finally:
        single.close()
    cluster = NatsCluster(3, sync_always=True).start()
    try:
        r3_intake = await intake_run(postgres, cluster.url, 3, "bench_cluster_r3")
        r3_relay = await relay_run(postgres, cluster.url, 3, "bench_relay_r3")
    finally:
        cluster.close()
        postgres.close()
    print(f"nats_r3_to_r1_intake_ratio={r3_intake / r1_intake:.3f}", flush=True)
    print(f"nats_r3_to_r1_outbox_relay_ratio={r3_relay / r1_relay:.3f}", flush=True)
