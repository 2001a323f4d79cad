"""Fault runs as tests: the platform under open-loop public intake, then an audit.

The audit counts what FAULTS.md counts: acknowledged requests (201), rows stored in the
requests database, `submitted` events on GR_REQUESTS (per request id), duplicates, lost
(acknowledged but not stored, or stored without its event), stored without a 201, and what
the clients saw (status codes and connection errors).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient
from pydantic import ValidationError

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated
from grassroots.contracts.streams import REQUESTS as REQUESTS_STREAM
from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.messaging import StreamReplay, ensure_streams
from grassroots.kit.outbox import new_event_id
from grassroots.kit.testing.servers import free_port
from grassroots.kit.testing.services import (
    TEST_JWT_SECRET,
    RunningService,
    auth,
    eventually,
    run_service,
)
from grassroots.requests.main import SPEC as REQUESTS

COUNTY, TOWN, VILLAGE = "230321000000", "230321100000", "230321100201"
UNITS = (
    ("u-county", "中共鸡东县委员会", COUNTY, "county", "committee", None),
    ("u-town", "中共鸡东镇委员会", TOWN, "township", "committee", "u-county"),
    ("u-village", "东升村党支部", VILLAGE, "village", "branch", "u-town"),
)
SERVICE_CODE = "dispute-mediation"
INTAKE = {
    "service_code": SERVICE_CODE,
    "area_code": VILLAGE,
    "channel": "online",
    "description": "邻居占用宅基地，请村里调解。",
    "anonymous": True,
}


async def publish_tree(nats_url: str, *, replicas: int = 1) -> None:
    """The org tree as the members service would publish it (requests routes by it)."""
    nc = await nats.connect(nats_url.split(","))
    js = nc.jetstream()
    await ensure_streams(js, replicas=replicas)
    for unit_id, name, area, tier, kind, parent in UNITS:
        data = OrgUnitCreated(
            org_unit_id=unit_id,
            name=name,
            area_code=area,
            tier=tier,  # type: ignore[arg-type]
            kind=kind,  # type: ignore[arg-type]
            domain="rural",
            parent_id=parent,
            version=1,
            occurred_at=datetime.now(UTC),
        )
        event = CloudEvent(
            id=new_event_id(),
            source="/grassroots/members",
            type=data.event_type(),
            subject=unit_id,
            data=data.model_dump(mode="json"),
            areacode=area,
        )
        await js.publish(
            data.subject_for(area), event.to_json_bytes(), headers={"Nats-Msg-Id": event.id}
        )
    await nc.close()


async def prepare_requests(client: httpx.AsyncClient) -> None:
    """Wait for the replicated tree, then put the catalogue item intake needs."""

    async def replicated() -> bool:
        tree = await client.get("/v1/org-tree", headers=auth())
        return tree.status_code == 200 and len(tree.json()["items"]) == len(UNITS)

    await eventually(replicated, timeout=60)
    item = {
        "county_area": COUNTY,
        "code": SERVICE_CODE,
        "name": "邻里纠纷调解",
        "category": "矛盾调解",
        "time_limit": "P7D",
        "allow_anonymous": True,
    }
    created = await client.post("/v1/catalog", json=item, headers=auth("org_admin", COUNTY))
    assert created.status_code in (201, 409), created.text


@asynccontextmanager
async def requests_service(
    database_url: str, nats_url: str, **overrides: Any
) -> AsyncIterator[RunningService]:
    """The requests service in this process, ready for public intake."""
    async with run_service(
        REQUESTS,
        database_url=database_url,
        nats_url=nats_url,
        requests_run_scanner=False,
        # The load comes from one client address; the limiter is not under test here.
        requests_public_burst=1_000_000,
        requests_public_per_minute=1e9,
        **overrides,
    ) as service:
        await prepare_requests(service.client)
        yield service


async def received_in_county(client: httpx.AsyncClient) -> int:
    """The evaluation read model: requests received in the county this year."""
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    response = await client.get(
        f"/v1/orgs/u-county/indicators?period={year}", headers=auth("org_admin", COUNTY)
    )
    if response.status_code != 200:
        return -1
    return int(response.json()["counts"]["received"])


@asynccontextmanager
async def evaluation_service(
    database_url: str, nats_url: str, **overrides: Any
) -> AsyncIterator[RunningService]:
    """The evaluation service in this process: a consumer with a read model to count."""
    async with run_service(
        EVALUATION, database_url=database_url, nats_url=nats_url, **overrides
    ) as service:
        yield service


@dataclass
class ServiceProcess:
    """A service as its own OS process (`python -m grassroots.<name> serve`), to kill -9."""

    name: str
    database_url: str
    nats_url: str
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "GR_ENV": "test",
            "GR_JWT_SECRET": TEST_JWT_SECRET,
            "GR_LOG_JSON": "false",
            "GR_LOG_LEVEL": "WARNING",
            "GR_HOST": "127.0.0.1",
            "GR_VAR_DIR": str(self.workdir),
            "GR_NATS_URL": self.nats_url,
            f"GR_{self.name.upper()}_DATABASE_URL": self.database_url,
            f"GR_{self.name.upper()}_PORT": str(self.port),
            "GR_OUTBOX_POLL_SECONDS": "0.1",
            "GR_CONSUMER_BACKOFF_SECONDS": "[0.2, 0.2, 0.2, 0.2]",
            "GR_CONSUMER_ACK_WAIT_SECONDS": "5",
            "GR_REQUESTS_RUN_SCANNER": "false",
            "GR_REQUESTS_PUBLIC_BURST": "1000000",
            "GR_REQUESTS_PUBLIC_PER_MINUTE": "1000000000",
        }
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"grassroots.{self.name}", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, open transactions and unacknowledged messages cut."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    async def ready(self, client: httpx.AsyncClient, timeout: float = 180) -> None:
        async def answers() -> bool:
            try:
                return (await client.get(f"{self.base_url}/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(answers, timeout=timeout, interval=0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@dataclass
class Load:
    """Open-loop public intake: `rate` requests a second whatever the answers; what came back."""

    post: Callable[[dict[str, Any]], Awaitable[httpx.Response]]
    acknowledged: list[str] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)
    sent: int = 0

    async def one(self) -> None:
        try:
            response = await self.post(INTAKE)
        except (httpx.TransportError, OSError) as exc:
            self.seen[type(exc).__name__] += 1
            return
        kind = response.headers.get("content-type", "").split(";")[0]
        retry = " retry-after" if "retry-after" in response.headers else ""
        self.seen[f"{response.status_code} {kind}{retry}"] += 1
        if response.status_code == 201:
            self.acknowledged.append(response.json()["id"])

    async def run(self, rate: float, seconds: float) -> None:
        """Send for `seconds` at `rate`/s; return when every answer is in."""
        tasks: list[asyncio.Task[None]] = []
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(elapsed * rate) + 1
            while self.sent < due:
                self.sent += 1
                tasks.append(asyncio.create_task(self.one()))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)


def asgi_poster(service: RunningService) -> Callable[[dict[str, Any]], Awaitable[httpx.Response]]:
    """POST /v1/requests to an in-process service."""

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await service.client.post("/v1/requests", json=body)

    return post


def http_poster(
    client: httpx.AsyncClient, base_urls: list[str]
) -> Callable[[dict[str, Any]], Awaitable[httpx.Response]]:
    """POST /v1/requests over TCP, round robin over `base_urls` (replicas)."""
    turn = [0]

    async def post(body: dict[str, Any]) -> httpx.Response:
        turn[0] += 1
        return await client.post(f"{base_urls[turn[0] % len(base_urls)]}/v1/requests", json=body)

    return post


@dataclass
class Audit:
    """What a fault run left behind."""

    acknowledged: int
    stored: int
    events: int
    duplicates: int
    lost: int
    stored_without_ack: int
    unpublished: int
    events_by_type: Counter[str]

    def line(self) -> str:
        """One line for the log, in FAULTS.md's columns."""
        return (
            f"201s={self.acknowledged} stored={self.stored} submitted_events={self.events} "
            f"duplicates={self.duplicates} lost={self.lost} "
            f"stored_without_201={self.stored_without_ack} unpublished={self.unpublished}"
        )


async def stream_events(nc: NatsClient, subject: str = "gr.requests.v1.>") -> list[CloudEvent]:
    """Every readable event GR_REQUESTS holds on `subject`, in stream order."""
    events: list[CloudEvent] = []
    async with StreamReplay(nc, REQUESTS_STREAM.name, subject) as replay:
        async for chunk in replay:
            for raw in chunk:
                with suppress(ValidationError):  # a poison message the test published
                    events.append(CloudEvent.from_json_bytes(raw))
    return events


async def audit(nats_url: str, dsn: str, acknowledged: list[str]) -> Audit:
    """Count stored rows, events and their duplicates against the acknowledged ids."""
    conn = await asyncpg.connect(dsn)
    try:
        stored = {r["id"] for r in await conn.fetch("SELECT id FROM req_requests")}
        unpublished = int(
            await conn.fetchval("SELECT count(*) FROM kit_outbox WHERE published_at IS NULL")
        )
    finally:
        await conn.close()
    nc = await nats.connect(nats_url.split(","))
    try:
        events = await stream_events(nc)
    finally:
        await nc.close()
    submitted = Counter(
        e.data["request_id"] for e in events if e.type == "gr.requests.submitted.v1"
    )
    acked = set(acknowledged)
    assert len(acked) == len(acknowledged), "one id acknowledged twice"
    by_type = Counter(e.type for e in events)
    return Audit(
        acknowledged=len(acked),
        stored=len(acked & stored),
        events=sum(submitted[i] for i in acked),
        duplicates=sum(1 for count in submitted.values() if count > 1)
        + sum(1 for count in Counter(e.id for e in events).values() if count > 1),
        lost=len(acked - stored) + sum(1 for i in acked if submitted[i] == 0),
        stored_without_ack=len(stored - acked),
        unpublished=unpublished,
        events_by_type=by_type,
    )


async def settled(nats_url: str, dsn: str, acknowledged: list[str], timeout: float = 60) -> Audit:
    """The audit once the outbox has drained (every stored row's event published)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = await audit(nats_url, dsn, acknowledged)
        except nats.errors.TimeoutError:
            # A cluster that just regained a node may take a moment to answer a new consumer.
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
            continue
        if result.unpublished == 0 or time.monotonic() > deadline:
            print(result.line(), file=sys.stderr)
            return result
        await asyncio.sleep(0.5)


def dsn_of(database_url: str) -> str:
    """asyncpg DSN of a SQLAlchemy asyncpg URL."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
def h() -> ModuleType:
    """This module's helpers (conftest cannot be imported)."""
    return sys.modules[__name__]
