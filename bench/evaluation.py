"""Evaluation: topic mining, projection throughput and ranking latency.

- Recurring problems (每月一题) of a county month of 50,000 requests, trend over 3 months
  before included (`topics`).
- The projection's pure fold over GR_BENCH_EVAL_EVENTS (default 1,000,000) generated request
  events, fed in batches (generation is not timed), and the parse + validate + fold path on
  the first 100,000 of them as JSON CloudEvents.
- Ranking of 500 children (each with one village below it) over 100,000 request facts, in
  a running service (start-up heap frozen, as `serve` does): median and maximum of 20 runs
  after a warm-up, computed directly and through `GET /v1/rankings` (JSON included).
- End to end over a throwaway nats-server and PostgreSQL (fsync on): GR_BENCH_EVAL_E2E events
  (default 1,000,000) published to JetStream (pipelined); the raw rate of reading that
  stream in the same run with an ordered consumer and with the rebuild's own reader
  (`StreamReplay`), both applying nothing; then the rebuild replaying it into PostgreSQL
  (checked complete: every request at its last version, counted once).
- The live service's durable batch consumer: GR_BENCH_EVAL_LIVE events (default 100,000)
  published first, then the service started and timed (start-up included) until all are
  applied; then 20 lone events into the idle consumer, each timed from publishing to being
  visible in the read model (polled every 2 ms).
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import nats
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from sqlalchemy import func, insert, select
from uuid6 import uuid7

from bench.common import report
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import requests as r
from grassroots.contracts.events.base import EventData
from grassroots.contracts.streams import REQUESTS
from grassroots.evaluation.adapters.orm import UNIT_MONTH_COUNTS, request_facts, unit_month_counts
from grassroots.evaluation.config import EvaluationSettings
from grassroots.evaluation.domain.facts import RequestFacts, fold, merge
from grassroots.evaluation.domain.indicators import CountRules, IndicatorCounts, count_requests
from grassroots.evaluation.domain.periods import Period, month_key
from grassroots.evaluation.domain.topics import TopicRequest, content_words, find_topics, segment
from grassroots.evaluation.domain.tree import Unit
from grassroots.evaluation.main import SPEC, build_app
from grassroots.evaluation.service.projection import ProjectionBatch
from grassroots.evaluation.service.rankings import compute_ranking
from grassroots.evaluation.service.rebuild import rebuild
from grassroots.evaluation.synthetic import synthetic_month
from grassroots.kit.db import Database
from grassroots.kit.messaging import StreamReplay, ensure_streams
from grassroots.kit.tables import org_units
from grassroots.kit.testing.servers import NatsServer, PostgresServer
from grassroots.kit.testing.services import auth, run_app, settings_for_tests

EVENTS = int(os.environ.get("GR_BENCH_EVAL_EVENTS", "1000000"))
E2E = int(os.environ.get("GR_BENCH_EVAL_E2E", "1000000"))
LIVE = int(os.environ.get("GR_BENCH_EVAL_LIVE", "100000"))
LONE = 20
RANKING_RUNS = 20
REBUILD_BATCH = 5000
CHILDREN = 500
FACTS = 100_000
BATCH = 10_000
T0 = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
AREA = "230321100201"


def request_life(n: int, rng: random.Random) -> list[EventData]:
    """The events of one request: submitted, accepted, resolved, rated (some escalated)."""
    rid = f"req-{n}"
    received = T0 + timedelta(minutes=n % 40000)
    common: dict[str, Any] = {
        "request_id": rid,
        "org_unit_id": f"unit-{n % 1000}",
        "area_code": AREA,
        "service_code": "S01",
        "due_at": received + timedelta(days=3),
    }
    out: list[EventData] = [
        r.RequestSubmitted(
            **common,
            status="submitted",
            channel="window",
            received_at=received,
            version=1,
            occurred_at=received,
        ),
        r.RequestAccepted(
            **common,
            status="accepted",
            version=2,
            occurred_at=received + timedelta(hours=rng.randint(1, 40)),
        ),
    ]
    version = 3
    if rng.random() < 0.2:
        out.append(
            r.RequestEscalated(
                **common,
                status="escalated",
                from_org_unit_id=common["org_unit_id"],
                cause="overdue",
                version=version,
                occurred_at=received + timedelta(hours=50),
            )
        )
        version += 1
    out.append(
        r.RequestResolved(
            **common,
            status="resolved",
            version=version,
            occurred_at=received + timedelta(hours=rng.randint(2, 100)),
        )
    )
    out.append(
        r.FeedbackGiven(
            **common,
            status="resolved",
            version=version + 1,
            rating=rng.choice(["satisfied", "basically_satisfied", "unsatisfied"]),
            occurred_at=received + timedelta(hours=101),
        )
    )
    return out


def generated(count: int, seed: int = 6) -> Iterator[list[EventData]]:
    """Batches of about BATCH events, each batch shuffled (out of order within it)."""
    rng = random.Random(seed)
    made, n, batch = 0, 0, []
    while made < count:
        life = request_life(n, rng)[: count - made]
        batch += life
        made += len(life)
        n += 1
        if len(batch) >= BATCH or made >= count:
            rng.shuffle(batch)
            yield batch
            batch = []


def as_pairs(batch: list[EventData]) -> list[tuple[str, dict[str, Any]]]:
    """(short name, data) pairs as the projection receives them after validation."""
    return [(e.event_type().split(".")[2], e.model_dump()) for e in batch]


def envelope(data: EventData) -> CloudEvent:
    """The CloudEvent carrying `data`."""
    return CloudEvent(
        id=str(uuid7()),
        source="/grassroots/bench",
        type=data.event_type(),
        subject=getattr(data, "request_id", "x"),
        data=data.model_dump(mode="json"),
        areacode=AREA,
    )


def pure_fold() -> None:
    """The fold alone, over EVENTS events in shuffled batches merged into one state."""
    state: dict[str, Any] = {}
    folded, spent = 0, 0.0
    for batch in generated(EVENTS):
        pairs = as_pairs(batch)
        started = time.perf_counter()
        for rid, facts in fold(pairs).items():
            known = state.get(rid)
            state[rid] = facts if known is None else merge(known, facts)
        spent += time.perf_counter() - started
        folded += len(pairs)
    report("projection_fold_events", folded)
    report("projection_fold_requests", len(state))
    report("projection_fold_events_per_second", folded / spent)
    sample = min(EVENTS, 100_000)
    raw = [envelope(e).to_json_bytes() for batch in generated(sample) for e in batch]
    started = time.perf_counter()
    projection = ProjectionBatch()  # the projection's own path: envelope, contract, fold
    for payload in raw:
        projection.add(CloudEvent.from_json_bytes(payload))
    elapsed = time.perf_counter() - started
    assert projection.size == len(raw)
    report("projection_parse_validate_fold_events", len(raw))
    report("projection_parse_validate_fold_events_per_second", len(raw) / elapsed)


async def publish_all(url: str, batches: Iterable[list[EventData]]) -> int:
    """Publish pipelined, 1,000 acks in flight; return how many."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js)
    published = 0
    for events in batches:
        for start in range(0, len(events), 1000):
            futures = []
            for data in events[start : start + 1000]:
                event = envelope(data)
                futures.append(
                    await js.publish_async(
                        data.subject_for(AREA),
                        event.to_json_bytes(),
                        headers={"Nats-Msg-Id": event.id},
                    )
                )
            await asyncio.gather(*futures)
            published += len(futures)
    await nc.close()
    return published


async def raw_ordered_read(url: str, count: int) -> float:
    """Events/s of reading the stream with an ordered consumer, applying nothing (a callback
    that only counts: nats-py's own cost of delivering a message)."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    done = asyncio.get_running_loop().create_future()
    seen = 0

    async def on_message(msg: Msg) -> None:
        nonlocal seen
        seen += 1
        if seen == count and not done.done():
            done.set_result(None)

    started = time.perf_counter()
    sub = await js.subscribe(
        "gr.requests.v1.>",
        stream=REQUESTS.name,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
        cb=on_message,
        pending_msgs_limit=2 * count,
        pending_bytes_limit=4 * 1024 * 1024 * 1024,
    )
    await asyncio.wait_for(done, timeout=600)
    elapsed = time.perf_counter() - started
    await sub.unsubscribe()
    await nc.close()
    return count / elapsed


async def raw_replay_read(url: str) -> tuple[int, float]:
    """(events, events/s) of the rebuild's own reader (StreamReplay) applying nothing."""
    nc = await nats.connect(url)
    read = 0
    started = time.perf_counter()
    async with StreamReplay(nc, REQUESTS.name, "gr.requests.v1.>", REBUILD_BATCH) as replay:
        async for chunk in replay:
            read += len(chunk)
    elapsed = time.perf_counter() - started
    await nc.close()
    return read, read / elapsed


async def fresh_database(postgres: PostgresServer, name: str) -> str:
    """A new database with the evaluation schema."""
    conn = await asyncpg.connect(postgres.dsn())
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = postgres.url(name)
    await asyncio.to_thread(SPEC.migrate, EvaluationSettings(evaluation_database_url=url))
    return url


def _expected(batches: Iterable[list[EventData]]) -> tuple[int, dict[str, int]]:
    """(events, last version per request) of a generated stream."""
    events, last = 0, dict[str, int]()
    for batch in batches:
        events += len(batch)
        for e in batch:
            assert isinstance(e, r._RequestEvent)
            last[e.request_id] = max(last.get(e.request_id, 0), e.version)
    return events, last


async def _projected(db: Database) -> tuple[int, int]:
    """(sum of the last versions of received requests, requests received per the counts)."""
    async with db.read_only() as session:
        versions = await session.scalar(
            select(func.sum(request_facts.c.last_version)).where(
                request_facts.c.received_at.is_not(None)
            )
        )
        received = await session.scalar(select(func.sum(unit_month_counts.c.received)))
    return int(versions or 0), int(received or 0)


async def replay(postgres: PostgresServer) -> None:
    """E2E events published to JetStream, read raw twice, then replayed into PostgreSQL."""
    nats_server = NatsServer().start()
    try:
        started = time.perf_counter()
        published = await publish_all(nats_server.url, generated(E2E, seed=7))
        report("e2e_events", published)
        report("e2e_publish_events_per_second", published / (time.perf_counter() - started))
        report(
            "raw_ordered_consumer_read_events_per_second",
            await raw_ordered_read(nats_server.url, published),
        )
        read, rate = await raw_replay_read(nats_server.url)
        assert read == published
        report("raw_replay_read_events_per_second", rate)
        db = Database(await fresh_database(postgres, "bench_rebuild"))
        result = await rebuild(db, nats_server.url, batch_size=REBUILD_BATCH)
        assert result.events == published
        report("rebuild_replay_events_per_second", result.events / result.seconds)
        # The result is complete: every request at its last version, counted once.
        _, last = _expected(generated(E2E, seed=7))
        versions, received = await _projected(db)
        await db.dispose()
        assert versions == sum(last.values())
        assert received == len(last)
        report("rebuild_replay_requests", len(last))
    finally:
        nats_server.close()


async def live(postgres: PostgresServer) -> None:
    """The service's live durable batch consumer: LIVE events published before it starts,
    timed from its start until all are applied (catching up a backlog); then single events
    one at a time into the idle consumer."""
    nats_server = NatsServer().start()
    try:
        events, last = _expected(generated(LIVE, seed=8))
        assert await publish_all(nats_server.url, generated(LIVE, seed=8)) == events
        url = await fresh_database(postgres, "bench_live")
        settings = settings_for_tests(
            EvaluationSettings, nats_url=nats_server.url, evaluation_database_url=url
        )
        started = time.perf_counter()
        async with run_app(build_app(settings)) as service:
            db = service.runtime.db
            while (await _projected(db))[0] != sum(last.values()):
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            report("live_consumer_events", events)
            report("live_consumer_requests", len(last))
            report("live_consumer_events_per_second", events / elapsed)
            latencies = []
            nc = await nats.connect(nats_server.url)
            js = nc.jetstream()
            for n in range(LONE):
                await asyncio.sleep(0.2)  # idle: the consumer's pull request waits
                lone = request_life(10_000_000 + n, random.Random(n))[0]
                assert isinstance(lone, r.RequestSubmitted)
                payload = envelope(lone).to_json_bytes()
                started = time.perf_counter()
                await js.publish(lone.subject_for(AREA), payload)
                while True:
                    async with db.read_only() as session:
                        seen = await session.scalar(
                            select(request_facts.c.request_id).where(
                                request_facts.c.request_id == lone.request_id
                            )
                        )
                    if seen:
                        break
                    await asyncio.sleep(0.002)
                latencies.append(time.perf_counter() - started)
            await nc.close()
            report("live_consumer_lone_event_ms_median", 1000 * statistics.median(latencies))
            report("live_consumer_lone_event_ms_max", 1000 * max(latencies))
    finally:
        nats_server.close()


async def ranking(postgres: PostgresServer) -> None:
    """Rank 500 children (one village each) over FACTS request facts of one month."""
    url = await fresh_database(postgres, "bench_ranking")
    db = Database(url)
    now = datetime.now(UTC)
    units = [
        {
            "id": "county",
            "name": "county",
            "area_code": "230321000000",
            "tier": "county",
            "kind": "committee",
            "domain": "organ",
            "parent_id": None,
            "version": 1,
            "updated_at": now,
        }
    ]
    for i in range(CHILDREN):
        township = f"230321{100 + i:03d}000"
        units.append(
            {
                **units[0],
                "id": f"town-{i}",
                "name": f"乡镇{i}",
                "area_code": township,
                "tier": "township",
                "parent_id": "county",
            }
        )
        units.append(
            {
                **units[0],
                "id": f"village-{i}",
                "name": f"村{i}",
                "area_code": township[:9] + "201",
                "tier": "village",
                "parent_id": f"town-{i}",
            }
        )
    rng = random.Random(9)
    facts: list[dict[str, Any]] = []
    for n in range(FACTS):
        received = T0 + timedelta(minutes=rng.randint(0, 40000))
        unit = rng.randrange(CHILDREN)
        responded = received + timedelta(seconds=rng.randint(0, 200000))
        facts.append(
            {
                "request_id": f"req-{n}",
                "received_unit_id": rng.choice([f"town-{unit}", f"village-{unit}"]),
                "area_code": AREA,
                "received_at": received,
                "received_month": month_key(received),
                "responded_at": responded,
                "response_seconds": int((responded - received).total_seconds()),
                "resolution_version": 3,
                "resolved": rng.random() < 0.8,
                "resolved_at": received + timedelta(hours=5),
                "resolved_due_at": received + timedelta(days=3),
                "resolved_on_time": rng.random() < 0.7,
                "escalated": rng.random() < 0.1,
                "explained": False,
                "rating": rng.choice([None, "satisfied", "basically_satisfied", "unsatisfied"]),
                "rating_version": 4,
                "last_version": 4,
                "merged_into": None,
                "merge_version": 0,
            }
        )
    # The monthly counts the projection keeps, summed from the same facts.
    counts: dict[tuple[str, str], IndicatorCounts] = defaultdict(IndicatorCounts)
    for row in facts:
        key = (row["received_unit_id"], row["received_month"])
        fact = RequestFacts(**{k: row[k] for k in RequestFacts.__dataclass_fields__})
        counts[key] = counts[key] + count_requests([fact])
    aggregated = [
        {"unit_id": unit, "month": month, **{k: getattr(c, k) for k in UNIT_MONTH_COUNTS}}
        for (unit, month), c in counts.items()
    ]
    async with db.transaction() as session:
        await session.execute(insert(org_units), units)
        for start in range(0, len(facts), 5000):
            await session.execute(insert(request_facts), facts[start : start + 5000])
        await session.execute(insert(unit_month_counts), aggregated)
    await db.dispose()
    # The setup's 100,000 rows are no part of a ranking: drop them, so the heap is what a
    # service's would be. Then the service itself, as `serve` runs it (start-up heap frozen).
    del facts, aggregated, counts
    gc.collect()
    nats_server = NatsServer().start()
    try:
        settings = settings_for_tests(
            EvaluationSettings,
            nats_url=nats_server.url,
            evaluation_database_url=url,
            env="development",  # not "test": the start-up heap is frozen as when served
        )
        async with run_app(build_app(settings)) as service:
            parent = Unit("county", "county", "230321000000", None)
            period = Period.parse("2026-11")
            timings = []
            for _ in range(1 + RANKING_RUNS):
                async with service.runtime.db.read_only() as session:
                    started = time.perf_counter()
                    result = await compute_ranking(
                        session, parent, period, "three-rates", CountRules()
                    )
                    timings.append(time.perf_counter() - started)
            assert len(result["items"]) == CHILDREN
            http = []
            headers = auth("org_admin", "230321000000")
            for _ in range(1 + RANKING_RUNS):
                started = time.perf_counter()
                answer = await service.client.get(
                    f"/v1/rankings?parent=county&period=2026-11&limit={CHILDREN}", headers=headers
                )
                http.append(time.perf_counter() - started)
                assert answer.status_code == 200
                assert len(answer.json()["items"]) == CHILDREN
    finally:
        nats_server.close()
    report("ranking_children", CHILDREN)
    report("ranking_request_facts", FACTS)
    report("ranking_runs", RANKING_RUNS)
    report("ranking_ms_median", 1000 * statistics.median(timings[1:]))
    report("ranking_ms_max", 1000 * max(timings[1:]))
    report("ranking_http_ms_median", 1000 * statistics.median(http[1:]))
    report("ranking_http_ms_max", 1000 * max(http[1:]))


def topics() -> None:
    """Recurring problems of a county month of GR_BENCH_EVAL_TOPICS requests (default 50,000),
    with the trend over the 3 months before (as many requests each): the grouping from stored
    words is timed (target <= 10 s); jieba's segmentation, done once per request when it is
    projected, is timed apart per request."""
    count = int(os.environ.get("GR_BENCH_EVAL_TOPICS", "50000"))
    scale = count / 2000
    planted = tuple(int(n * scale) for n in (70, 60, 80, 50, 40))
    words: dict[str, frozenset[str]] = {}

    def month(seed: int, prefix: str) -> list[TopicRequest]:
        out = []
        for rid, _, code, village, text in synthetic_month(count, planted, seed, prefix):
            if text not in words:
                words[text] = content_words(segment(text))
            out.append(TopicRequest(rid, words[text], code, village, text))
        return out

    current = month(15, "cur")
    earlier = {f"2026-{m:02d}": month(m, f"m{m}") for m in (8, 9, 10)}
    sample = list(words)[:2000]
    started = time.perf_counter()
    for text in sample:
        segment(text)
    report("topics_segment_ms_per_request", 1000 * (time.perf_counter() - started) / len(sample))
    gc.collect()
    started = time.perf_counter()
    found = find_topics("2026-11", current, earlier)
    report("topics_county_month_requests", count)
    report("topics_compute_seconds", time.perf_counter() - started)
    report("topics_found", len(found))


async def run() -> None:
    """Measure and print the evaluation figures."""
    await asyncio.to_thread(topics)
    await asyncio.to_thread(pure_fold)
    postgres = PostgresServer(fsync=True).start()
    try:
        await ranking(postgres)
        await replay(postgres)
        await live(postgres)
    finally:
        postgres.close()
