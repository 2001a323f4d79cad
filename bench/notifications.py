"""Notifications: dispatch rate through the inbox and the SMS channel, and a 100k broadcast.

Everything runs against servers started here: nats-server, PostgreSQL with fsync on, and a
local HTTP SMS sink in its own process. The member replica for the broadcast is loaded by
SQL (replaying 100,000 gr.members events through the consumer is a different measurement).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import nats
from sqlalchemy import func, insert, select

from bench.common import report, stopwatch
from grassroots.kit.db import Database
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.outbox import Outbox, OutboxRelay
from grassroots.kit.tables import org_units, outbox
from grassroots.kit.testing.servers import NatsServer, PostgresServer, free_port, wait_for_port
from grassroots.kit.testing.services import auth, run_app, settings_for_tests
from grassroots.notifications.adapters.channels import (
    Channel,
    InboxChannel,
    SmsGatewayChannel,
)
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.adapters.orm import contacts, members, notifications
from grassroots.notifications.config import NotificationsSettings
from grassroots.notifications.domain.notification import new_id, notification_row
from grassroots.notifications.domain.policy import DispatchPolicy, RateLimit
from grassroots.notifications.entrypoints.loops import dispatcher_loop
from grassroots.notifications.main import SPEC, build_app
from grassroots.notifications.service.deps import Deps

DISPATCH = int(os.environ.get("GR_BENCH_NOTIFICATIONS", "20000"))
BROADCAST = int(os.environ.get("GR_BENCH_BROADCAST_MEMBERS", "100000"))
VILLAGE = "230321100201"

SINK_APP = """
import sys
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
import uvicorn

async def sms(request):
    body = await request.json()
    messages = body.get("messages") or [body]
    results = [{"reference": m.get("reference"), "accepted": True} for m in messages]
    return JSONResponse({"results": results}, status_code=202)

app = Starlette(routes=[Route("/sms", sms, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def daytime() -> datetime:
    """10:00 in Beijing today: SMS quiet hours never interfere with the figures."""
    now = datetime.now(UTC)
    return now.replace(hour=2, minute=0, second=0, microsecond=0)


class RunningClock:
    """Real time shifted to Beijing daytime."""

    def __init__(self) -> None:
        self.offset = daytime() - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def create_database(postgres: PostgresServer, name: str) -> str:
    """A migrated notifications database."""
    conn = await asyncpg.connect(postgres.dsn())
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = postgres.url(name)
    settings = NotificationsSettings(notifications_database_url=url)
    await asyncio.to_thread(SPEC.migrate, settings)
    return url


async def seed(db: Database, channel: str, count: int, clock: RunningClock, sealer: Sealer) -> None:
    """`count` pending notifications for distinct recipients (with phones for SMS)."""
    now = clock()
    rows = []
    people = []
    for i in range(count):
        recipient = f"citizen:bench-{channel}-{i}"
        rows.append(
            notification_row(
                cause_id=new_id(),
                recipient_id=recipient if channel == "sms" else f"member:bench-{i}",
                recipient_kind="citizen" if channel == "sms" else "member",
                channel=channel,
                rule="citizen_accepted" if channel == "sms" else "handler_assigned",
                template_key="request_accepted" if channel == "sms" else "request_assigned",
                context={"request_id": f"r{i}", "service_code": "hukou", "due_at": "11-25"},
                area_code=VILLAGE,
                now=now,
            )
        )
        if channel == "sms":
            people.append(
                {
                    "recipient_id": recipient,
                    "recipient_kind": "citizen",
                    "sealed": sealer.seal(
                        recipient,
                        {"phone": f"138{i:08d}", "tracking_code": f"T{i}"},
                        field="contact",
                    ),
                    "org_unit_id": None,
                    "request_id": None,
                    "public_name_consent": False,
                    "erased_at": None,
                    "updated_at": now,
                }
            )
    async with db.transaction() as session:
        for start in range(0, count, 500):
            await session.execute(insert(notifications), rows[start : start + 500])
            if people:
                await session.execute(insert(contacts), people[start : start + 500])


async def dispatch_rate(
    url: str, nats_url: str, channel: str, sms_url: str | None, sms_batch: int = 1
) -> float:
    """Notifications/s the dispatcher moves to `channel` (its events relayed to JetStream)."""
    clock = RunningClock()
    sealer = Sealer.from_settings(NotificationsSettings())
    db = Database(url)
    await seed(db, channel, DISPATCH, clock, sealer)
    http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=128))
    channels: dict[str, Channel] = {
        "inbox": InboxChannel(),
        "sms": SmsGatewayChannel(http, sms_url, None, sms_batch),
    }
    policy = DispatchPolicy(
        batch_size=1000, concurrency=128, poll_seconds=0.05, rate_limit=RateLimit(count=1000)
    )
    deps = Deps(
        sealer=sealer,
        clock=clock,
        outbox=Outbox("/grassroots/notifications"),
        channels=channels,
        policy=policy,
    )
    dispatcher = dispatcher_loop(db, deps)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js)
    relay = OutboxRelay(db, js, service="notifications", batch_size=1000, poll_seconds=0.05)
    tasks = [asyncio.create_task(dispatcher.run()), asyncio.create_task(relay.run())]
    done_status = "delivered" if channel == "inbox" else "sent"
    started = time.perf_counter()
    dispatched_at = 0.0
    while True:
        async with db.read_only() as session:
            done = await session.scalar(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.channel == channel, notifications.c.status == done_status)
            )
            unpublished = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        if not dispatched_at and int(done or 0) >= DISPATCH:
            dispatched_at = time.perf_counter() - started
        if dispatched_at and not unpublished:
            break
        await asyncio.sleep(0.05)
    published_at = time.perf_counter() - started
    relay.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    label = channel if sms_batch == 1 else f"{channel}_batch{sms_batch}"
    report(f"notifications_{label}_with_events_published_per_second", DISPATCH / published_at)
    await http.aclose()
    await nc.close()
    await db.dispose()
    return DISPATCH / dispatched_at


async def broadcast(url: str, nats_url: str) -> tuple[float, float]:
    """Seconds from POST /v1/broadcasts to every inbox notification delivered; and fan-out."""
    db = Database(url)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        await session.execute(
            insert(org_units),
            [
                {
                    "id": "county",
                    "name": "县委",
                    "area_code": "230321000000",
                    "tier": "county",
                    "kind": "committee",
                    "domain": "organ",
                    "parent_id": None,
                    "version": 1,
                    "updated_at": now,
                },
                {
                    "id": "village",
                    "name": "村支部",
                    "area_code": VILLAGE,
                    "tier": "village",
                    "kind": "branch",
                    "domain": "rural",
                    "parent_id": "county",
                    "version": 1,
                    "updated_at": now,
                },
            ],
        )
        rows: list[dict[str, Any]] = [
            {
                "member_id": f"m{i:07d}",
                "org_unit_id": "village" if i % 2 else "county",
                "duties": [],
                "active": True,
                "version": 1,
            }
            for i in range(BROADCAST)
        ]
        for start in range(0, BROADCAST, 5000):
            await session.execute(insert(members), rows[start : start + 5000])
    await db.dispose()
    settings = settings_for_tests(
        NotificationsSettings,
        notifications_database_url=url,
        nats_url=nats_url,
        notifications_dispatch_batch=1000,
        notifications_broadcast_batch=2000,
        notifications_dispatch_poll_seconds=0.05,
    )
    app = build_app(settings, clock=RunningClock())
    async with run_app(app) as service:
        headers = auth("org_admin", "230321000000", "bench")
        started = time.perf_counter()
        created = await service.client.post(
            "/v1/broadcasts",
            json={"org_unit_id": "county", "title": "通知", "body": "全县党员集中学习。"},
            headers=headers,
        )
        created.raise_for_status()
        broadcast_id = created.json()["id"]
        fanned_out = 0.0
        while True:
            body = (
                await service.client.get(f"/v1/broadcasts/{broadcast_id}", headers=headers)
            ).json()
            if body["status"] == "done" and not fanned_out:
                fanned_out = time.perf_counter() - started
            if body["by_status"].get("delivered", 0) >= BROADCAST:
                break
            await asyncio.sleep(0.5)
        total = time.perf_counter() - started
    return total, fanned_out


async def raw_http_rate(url: str, count: int = 2000, concurrency: int = 128) -> float:
    """Posts/s straight to the sink with httpx, as many in flight as the SMS channel uses."""
    semaphore = asyncio.Semaphore(concurrency)
    body = {"to": "13800000000", "text": "您的诉求已受理。", "segments": 1, "reference": "raw"}
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one() -> None:
            async with semaphore:
                (await client.post(url, json=body)).raise_for_status()

        with stopwatch() as elapsed:
            await asyncio.gather(*(one() for _ in range(count)))
    return count / elapsed[0]


async def raw_insert_rate(dsn: str) -> float:
    """Rows/s of a bare 500-row multi-VALUES insert per transaction (the database's own pace)."""
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE bench_raw (id text primary key, body text)")
    count = DISPATCH
    with stopwatch() as elapsed:
        for start in range(0, count, 500):
            async with conn.transaction():
                await conn.executemany(
                    "INSERT INTO bench_raw VALUES ($1, $2)",
                    [(f"{i}", "x" * 200) for i in range(start, start + 500)],
                )
    await conn.close()
    return count / elapsed[0]


async def run() -> None:
    """Measure and print the notifications figures."""
    nats_server = NatsServer().start()
    postgres = PostgresServer(fsync=True).start()
    sink_port = free_port()
    sink = subprocess.Popen(  # noqa: ASYNC220 (started once, before any measurement)
        [sys.executable, "-c", SINK_APP, str(sink_port)]
    )
    try:
        wait_for_port(sink_port)
        report("raw_postgres_rows_per_second_500_per_commit", await raw_insert_rate(postgres.dsn()))
        inbox_url = await create_database(postgres, "bench_inbox")
        report(
            "notifications_inbox_dispatched_per_second",
            await dispatch_rate(inbox_url, nats_server.url, "inbox", None),
        )
        sink_url = f"http://127.0.0.1:{sink_port}/sms"
        report("raw_http_posts_per_second_to_sink", await raw_http_rate(sink_url))
        sms_url = await create_database(postgres, "bench_sms")
        report(
            "notifications_sms_dispatched_per_second",
            await dispatch_rate(sms_url, nats_server.url, "sms", sink_url),
        )
        batched_url = await create_database(postgres, "bench_sms_batched")
        report(
            "notifications_sms_batch100_dispatched_per_second",
            await dispatch_rate(batched_url, nats_server.url, "sms", sink_url, sms_batch=100),
        )
        report("notifications_dispatched_per_run", DISPATCH)
        broadcast_url = await create_database(postgres, "bench_broadcast")
        total, fanned = await broadcast(broadcast_url, nats_server.url)
        report("broadcast_members", BROADCAST)
        report("broadcast_fan_out_seconds", fanned)
        report("broadcast_end_to_end_seconds", total)
        report("broadcast_notifications_per_second", BROADCAST / total)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        nats_server.close()
        postgres.close()
