"""Requests: sustained HTTP intake into PostgreSQL with events published, and the SLA scan.

The service runs under uvicorn in a subprocess (fsync-on PostgreSQL, a local nats-server);
this process offers a fixed load with aiohttp (open loop: latency counts from each request's
scheduled start, so a slow server cannot hide queueing). The raw limit of the same HTTP
stack is measured on `/healthz` at the same offered load; the intake is then offered
GR_BENCH_REQUESTS_RATE (500/s) and, to show the room above it, GR_BENCH_REQUESTS_HEADROOM
(750/s). The service's own CPU time per request and its own mean handling time are reported
next to what the client saw. The scan is timed in-process over 1,000,000 open requests
written with COPY.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import nats

from bench.common import report, stopwatch
from grassroots.contracts.streams import REQUESTS
from grassroots.kit.app import Runtime
from grassroots.kit.auth import issue_token
from grassroots.kit.groupcommit import GroupCommit
from grassroots.kit.idempotency import IdempotencyKeys
from grassroots.kit.testing.servers import NatsServer, PostgresServer, free_port
from grassroots.requests.adapters.crypto import PersonalDataCipher
from grassroots.requests.adapters.lookups import Lookups
from grassroots.requests.adapters.storage import ObjectStorage
from grassroots.requests.config import RequestsSettings
from grassroots.requests.main import SPEC
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.sla import escalate_overdue_requests, refresh_gauges

RATE = int(os.environ.get("GR_BENCH_REQUESTS_RATE", "500"))
SECONDS = float(os.environ.get("GR_BENCH_REQUESTS_SECONDS", "20"))
HEADROOM_RATES = [
    int(r) for r in os.environ.get("GR_BENCH_REQUESTS_HEADROOM", "750").split(",") if r.strip()
]
WORKERS = int(os.environ.get("GR_BENCH_REQUESTS_WORKERS", "1"))
IN_FLIGHT = int(os.environ.get("GR_BENCH_REQUESTS_IN_FLIGHT", "64"))
OPEN_REQUESTS = int(os.environ.get("GR_BENCH_OPEN_REQUESTS", "1000000"))
OVERDUE = int(os.environ.get("GR_BENCH_OVERDUE", "1000"))
SECRET = "bench-secret-of-at-least-thirty-two-bytes"  # noqa: S105 (a throwaway bench)
COUNTY, TOWN, VILLAGE = "230321000000", "230321100000", "230321100201"
UNITS = [
    ("u-county", "县委", COUNTY, "county", "committee", None),
    ("u-town", "镇党委", TOWN, "township", "committee", "u-county"),
    ("u-village", "村支部", VILLAGE, "village", "branch", "u-town"),
]


async def seed(dsn: str) -> None:
    """The org-tree replica and one catalogue item, written straight into the tables."""
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    await conn.executemany(
        "INSERT INTO kit_org_units (id, name, area_code, tier, kind, domain, parent_id, version,"
        " updated_at) VALUES ($1, $2, $3, $4, $5, 'rural', $6, 1, $7)",
        [(*unit, now) for unit in UNITS],
    )
    await conn.execute(
        "INSERT INTO req_catalog_items (id, county_area, code, name, category, description,"
        " time_limit, calendar, handling_tier, escalation_limits, materials, door_to_door,"
        " allow_anonymous, skills, attributes, active, version, created_at, updated_at)"
        " VALUES ('item-1', $1, 'dibao-proxy', '低保申请代办', '社会救助', '', 'P5D', 'workdays',"
        " 'village', '{}', '[]', true, false, '[]', '[]', true, 1, $2, $2)",
        COUNTY,
        now,
    )
    await conn.close()


def start_service(
    db_url: str, nats_url: str, port: int, log: Any, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The requests service under uvicorn (its app factory), scanner off, quiet logs."""
    env = {
        **(extra_env or {}),
        **os.environ,
        "GR_REQUESTS_DATABASE_URL": db_url,
        "GR_NATS_URL": nats_url,
        "GR_JWT_SECRET": SECRET,
        "GR_LOG_LEVEL": "WARNING",
        "GR_REQUESTS_RUN_SCANNER": "false",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "grassroots.requests.main:build_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    # Its output goes to a file: an unread pipe fills up and blocks the server.
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


async def wait_ready(client: aiohttp.ClientSession, base: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with client.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the requests service did not become ready")


Send = Callable[[], Awaitable[int]]


async def offered_load(rate: int, seconds: float, send: Send) -> tuple[float, list[float], int]:
    """Start one call every 1/rate s for `seconds`; (completed per s, latencies, errors).

    At most IN_FLIGHT calls run at once (the connection pool's size); a call that waits for a
    slot still counts its latency from its scheduled start.
    """
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(scheduled: float) -> None:
        nonlocal errors
        async with slots:
            try:
                ok = await send() in (200, 201)
            except (aiohttp.ClientError, TimeoutError):
                ok = False
        if ok:
            latencies.append(time.perf_counter() - scheduled)
        else:
            errors += 1

    started = time.perf_counter()
    tasks = []
    for i in range(total):
        scheduled = started + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            with open(f"/proc/{current}/task/{current}/children") as children:
                pids += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def server_intake_seconds(client: aiohttp.ClientSession, base: str) -> tuple[float, float]:
    """(sum, count) of the service's own timing of POST /v1/requests, from its /metrics."""
    async with client.get(f"{base}/metrics") as response:
        text = await response.text()
    found = {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        if 'route="/v1/requests"' in line and 'method="POST"' in line:
            for kind in found:
                if line.startswith(f"gr_http_request_duration_seconds_{kind}{{"):
                    found[kind] += float(line.rsplit(" ", 1)[1])
    return found["sum"], found["count"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


async def intake_bench(postgres: PostgresServer, nats_url: str) -> None:
    """Sustained intake over HTTP at a fixed offered load; events must all reach JetStream."""
    conn = await asyncpg.connect(postgres.dsn())
    await conn.execute("CREATE DATABASE bench_requests")
    await conn.close()
    db_url = postgres.url("bench_requests")
    settings = RequestsSettings(requests_database_url=db_url)
    await asyncio.to_thread(SPEC.migrate, settings)
    await seed(postgres.dsn("bench_requests"))
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    process = start_service(db_url, nats_url, port, log)
    token = issue_token(SECRET, sub="bench-cadre", role="cadre", org=COUNTY)
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "service_code": "dibao-proxy",
        "area_code": VILLAGE,
        "description": "母亲年老多病，申请低保，请村里代办",
        "channel": "window",
        "citizen": {"name": "王秀兰", "phone": "13845671234"},
    }
    base = f"http://127.0.0.1:{port}"
    payload = json.dumps(body).encode()
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(
            headers=headers, connector=connector, timeout=timeout
        ) as client:
            await wait_ready(client, base)

            async def submit() -> int:
                async with client.post(
                    f"{base}/v1/requests",
                    data=payload,
                    headers={"Content-Type": "application/json"},
                ) as response:
                    await response.read()
                    return response.status

            async def healthz() -> int:
                async with client.get(f"{base}/healthz") as response:
                    await response.read()
                    return response.status

            # Warm up connections and caches before measuring.
            await offered_load(50, 2, submit)
            raw = await offered_load(RATE, min(SECONDS, 10), healthz)
            report("requests_raw_healthz_per_second", raw[0])
            report("requests_raw_healthz_p99_ms", percentile(raw[1], 99) * 1000)
            cpu_before = cpu_seconds(process.pid)
            server_before = await server_intake_seconds(client, base)
            rate, latencies, errors = await offered_load(RATE, SECONDS, submit)
            cpu_spent = cpu_seconds(process.pid) - cpu_before
            server_after = await server_intake_seconds(client, base)
            # Higher offered loads after the target one: how much room is left above it.
            headroom = []
            for extra in HEADROOM_RATES:
                headroom.append((extra, await offered_load(extra, SECONDS, submit)))
        handled = max(1.0, server_after[1] - server_before[1])
        server_mean = (server_after[0] - server_before[0]) / handled
        report("requests_intake_offered_per_second", float(RATE))
        report("requests_intake_completed_per_second", rate)
        report("requests_intake_p50_ms", percentile(latencies, 50) * 1000)
        report("requests_intake_p99_ms", percentile(latencies, 99) * 1000)
        report("requests_intake_errors", errors)
        # Inside the service (routing to response), next to what the client saw: the difference
        # is time spent queued for the event loop, in the kernel and in the client.
        report("requests_intake_server_mean_ms", server_mean * 1000)
        report("requests_intake_client_mean_ms", statistics.fmean(latencies) * 1000)
        report(
            "requests_intake_server_cpu_ms_per_request", 1000 * cpu_spent / max(1, len(latencies))
        )
        report("requests_intake_uvicorn_workers", WORKERS)
        for extra, (extra_rate, extra_latencies, extra_errors) in headroom:
            report(f"requests_intake_at_{extra}_completed_per_second", extra_rate)
            report(f"requests_intake_at_{extra}_p50_ms", percentile(extra_latencies, 50) * 1000)
            report(f"requests_intake_at_{extra}_p99_ms", percentile(extra_latencies, 99) * 1000)
            report(f"requests_intake_at_{extra}_errors", extra_errors)
        # Warm-up included: every request taken in must have its event in the stream.
        expected = 100 + len(latencies) + sum(len(h[1][1]) for h in headroom)
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        deadline = time.monotonic() + 120
        with stopwatch() as drain:
            while (await js.stream_info(REQUESTS.name)).state.messages < expected:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
        in_stream = (await js.stream_info(REQUESTS.name)).state.messages
        report("requests_intake_events_expected", expected)
        report("requests_intake_events_in_stream", in_stream)
        report("requests_intake_outbox_drain_after_load_seconds", drain[0])
        await nc.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


async def scan_bench(postgres: PostgresServer) -> None:
    """The SLA scan over OPEN_REQUESTS open requests: none overdue, then OVERDUE of them."""
    conn = await asyncpg.connect(postgres.dsn())
    await conn.execute("CREATE DATABASE bench_scan")
    await conn.close()
    db_url = postgres.url("bench_scan")
    settings = RequestsSettings(requests_database_url=db_url, requests_sla_scan_batch=500)
    await asyncio.to_thread(SPEC.migrate, settings)
    dsn = postgres.dsn("bench_scan")
    await seed(dsn)
    now = datetime.now(UTC)
    statuses = ["submitted", "accepted", "assigned", "in_progress", "explained", "reopened"]

    def record(i: int) -> tuple[Any, ...]:
        overdue = i < OVERDUE
        due = now - timedelta(hours=1) if overdue else now + timedelta(days=1 + i % 30)
        return (
            str(uuid.UUID(int=i + 1)),
            f"B{i:010d}",
            "item-1",
            "dibao-proxy",
            COUNTY,
            VILLAGE,
            "u-village",
            VILLAGE,
            "village",
            statuses[i % len(statuses)],
            1,
            "window",
            "低保",
            True,
            now - timedelta(days=2),
            due,
            False,
            0,
            False,
            "{}",
            now,
        )

    columns = [
        "id",
        "tracking_code",
        "catalog_item_id",
        "service_code",
        "county_area",
        "area_code",
        "org_unit_id",
        "org_area_code",
        "org_tier",
        "status",
        "version",
        "channel",
        "description",
        "anonymous",
        "received_at",
        "due_at",
        "overdue_marked",
        "escalations",
        "door_to_door",
        "attributes",
        "updated_at",
    ]
    conn = await asyncpg.connect(dsn)
    with stopwatch() as load:
        chunk = 100_000
        for start in range(0, OPEN_REQUESTS, chunk):
            rows = [record(i) for i in range(start, min(start + chunk, OPEN_REQUESTS))]
            await conn.copy_records_to_table("req_requests", records=rows, columns=columns)
        await conn.execute("ANALYZE req_requests")
    await conn.close()
    report("requests_scan_rows_loaded", OPEN_REQUESTS)
    report("requests_scan_load_seconds", load[0])

    runtime = Runtime(settings)
    ctx = RequestsContext(
        runtime,
        settings,
        PersonalDataCipher.from_settings(RequestsSettings(jwt_secret=SECRET)),
        Lookups(runtime.db, 5.0),
        GroupCommit(runtime.db, name="bench"),
        IdempotencyKeys(runtime.db),
        ObjectStorage.from_settings(None, {}, settings.var_dir),
    )
    await ctx.reload_calendar()
    try:
        with stopwatch() as first:
            result = await escalate_overdue_requests(ctx)
        report("requests_scan_overdue_handled", result.overdue)
        report("requests_scan_escalated", result.escalated)
        report("requests_scan_with_overdue_seconds", first[0])
        timings = []
        for _ in range(5):
            with stopwatch() as again:
                idle = await escalate_overdue_requests(ctx)
            assert idle.overdue == 0
            timings.append(again[0])
        report("requests_scan_nothing_overdue_ms", statistics.median(timings) * 1000)
        with stopwatch() as gauges:
            await refresh_gauges(ctx)
        report("requests_scan_gauges_refresh_seconds", gauges[0])
    finally:
        await runtime.db.dispose()


async def run() -> None:
    """Measure and print the requests figures."""
    nats_server = NatsServer().start()
    postgres = PostgresServer(fsync=True).start()
    try:
        parts = os.environ.get("GR_BENCH_REQUESTS_PARTS", "intake,scan").split(",")
        if "intake" in parts:
            await intake_bench(postgres, nats_server.url)
        if "scan" in parts:
            await scan_bench(postgres)
    finally:
        postgres.close()
        nats_server.close()
