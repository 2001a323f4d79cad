"""Rebuild: drop the read models and replay the streams from the start.

Replay reads each stream with an ephemeral ordered consumer (no durable state, nothing
acknowledged) and applies events in batches through the same projection functions as the
live consumers, so the result equals the live state.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import nats
from nats.js.api import DeliverPolicy
from sqlalchemy import delete

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated, OrgUnitUpdated
from grassroots.contracts.streams import MEMBERS, REQUESTS, StreamSpec
from grassroots.contracts.subjects import area_filter_subject
from grassroots.evaluation.adapters.orm import READ_MODELS, point_items
from grassroots.evaluation.domain.indicators import DEFAULT_RESPONSE_LIMIT_SECONDS
from grassroots.evaluation.metrics import REBUILD_DURATION, REBUILD_EVENTS
from grassroots.evaluation.service.projection import apply_batch
from grassroots.kit.db import Database
from grassroots.kit.orgtree import apply_org_unit
from grassroots.kit.tables import org_units

log = logging.getLogger(__name__)
ORG_EVENTS = {OrgUnitCreated.event_type(), OrgUnitUpdated.event_type()}


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did."""

    events: int
    seconds: float


async def drop_read_models(db: Database) -> None:
    """Empty every projected table (entered state such as schemes and reviews stays)."""
    async with db.transaction() as session:
        for table in READ_MODELS:
            await session.execute(delete(table))
        await session.execute(delete(point_items).where(point_items.c.source == "auto"))
        await session.execute(delete(org_units))


async def _apply(db: Database, batch: list[CloudEvent], response_limit_seconds: int) -> None:
    async with db.transaction() as session:
        for event in batch:
            if event.type in ORG_EVENTS:
                await apply_org_unit(session, event)
        others = [e for e in batch if e.type not in ORG_EVENTS]
        await apply_batch(session, others, response_limit_seconds)


async def replay_stream(
    db: Database,
    js: nats.js.JetStreamContext,
    stream: StreamSpec,
    area_filter: str,
    batch_size: int,
    response_limit_seconds: int,
) -> int:
    """Apply every event of one stream (narrowed by the area filter); return how many."""
    subject = area_filter_subject(stream.domain, area_filter)
    sub = await js.subscribe(
        subject, stream=stream.name, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    applied = 0
    try:
        # What the stream holds now: delivered so far plus still pending. Events published
        # later reach the live consumers; applying them twice would change nothing anyway.
        info = await sub.consumer_info()
        delivered = info.delivered.consumer_seq if info.delivered else 0
        total = int(info.num_pending or 0) + int(delivered or 0)
        batch: list[CloudEvent] = []
        while applied + len(batch) < total:
            msg = await sub.next_msg(timeout=30)
            batch.append(CloudEvent.from_json_bytes(msg.data))
            if len(batch) >= batch_size:
                await _apply(db, batch, response_limit_seconds)
                applied += len(batch)
                batch = []
        if batch:
            await _apply(db, batch, response_limit_seconds)
            applied += len(batch)
        return applied
    finally:
        await sub.unsubscribe()


async def rebuild(
    db: Database,
    nats_url: str,
    *,
    area_filter: str = "",
    batch_size: int = 500,
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> RebuildReport:
    """Drop the read models and replay the members and requests streams from the start."""
    started = time.perf_counter()
    await drop_read_models(db)
    nc = await nats.connect(nats_url, name="grassroots-evaluation-rebuild")
    try:
        js = nc.jetstream()
        events = 0
        for stream in (MEMBERS, REQUESTS):
            events += await replay_stream(
                db, js, stream, area_filter, batch_size, response_limit_seconds
            )
    finally:
        await nc.drain()
    seconds = time.perf_counter() - started
    REBUILD_DURATION.set(seconds)
    REBUILD_EVENTS.set(events)
    log.info("rebuilt the read models from %d events in %.1fs", events, seconds)
    return RebuildReport(events=events, seconds=seconds)
