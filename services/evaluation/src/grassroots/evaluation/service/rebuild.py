"""Rebuild: drop the read models and replay the streams from the start.

Replay reads each stream through the kit's `StreamReplay` (an ephemeral pull consumer, no
durable state, nothing acknowledged) and applies events in chunks through the same projection
code as the live consumers (`ProjectionBatch`: folded in memory, stored in one transaction),
so the result equals the live state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NatsClient
from pydantic import ValidationError

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import REGISTRY
from grassroots.contracts.events.members import OrgUnitCreated, OrgUnitUpdated
from grassroots.contracts.streams import MEMBERS, REQUESTS, StreamSpec
from grassroots.contracts.subjects import area_filter_subject
from grassroots.evaluation.adapters.projection import empty_read_models
from grassroots.evaluation.domain.indicators import DEFAULT_RESPONSE_LIMIT_SECONDS
from grassroots.evaluation.metrics import REBUILD_DURATION, REBUILD_EVENTS
from grassroots.evaluation.service.projection import ProjectionBatch
from grassroots.kit.db import Database
from grassroots.kit.messaging import StreamReplay
from grassroots.kit.orgtree import apply_org_unit

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
        await empty_read_models(session)


@dataclass
class _Chunk:
    """A chunk parsed and folded in memory, to be written in one transaction."""

    org_events: list[CloudEvent]
    batch: ProjectionBatch
    skipped: int


async def _prepare(chunk: list[bytes]) -> _Chunk:
    """Parse and validate every event and fold the chunk; events that break their contract
    are skipped, as the live consumers park them without effect."""
    out = _Chunk([], ProjectionBatch(), 0)
    for n, raw in enumerate(chunk):
        if n % 500 == 499:
            await asyncio.sleep(0)  # let the writer send its next statement meanwhile
        try:
            event = CloudEvent.from_json_bytes(raw)
            if event.type in ORG_EVENTS:
                REGISTRY[event.type].model_validate(event.data)
                out.org_events.append(event)
            else:
                out.batch.add(event)
        except ValidationError as exc:
            out.skipped += 1
            log.warning("rebuild skips an event that breaks its contract: %s", exc)
    return out


async def _write(db: Database, chunk: _Chunk, response_limit_seconds: int) -> None:
    async with db.transaction() as session:
        for event in chunk.org_events:
            await apply_org_unit(session, event)
        await chunk.batch.store(session, response_limit_seconds)


async def replay_stream(
    db: Database,
    nc: NatsClient,
    stream: StreamSpec,
    area_filter: str,
    batch_size: int,
    response_limit_seconds: int,
) -> int:
    """Apply every event of one stream (narrowed by the area filter); return how many.

    Three stages overlap: the replay reads the next chunks, this loop parses and folds one,
    and the chunk before it is being written in its own transaction."""
    subject = area_filter_subject(stream.domain, area_filter)
    writing: asyncio.Task[None] | None = None
    taken = skipped = 0
    try:
        async with StreamReplay(nc, stream.name, subject, batch_size) as replay:
            async for raw in replay:
                chunk = await _prepare(raw)
                taken += len(raw)
                skipped += chunk.skipped
                if writing is not None:
                    await writing
                writing = asyncio.create_task(_write(db, chunk, response_limit_seconds))
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
    if skipped:
        log.warning("rebuild of %s skipped %d broken events", stream.name, skipped)
    return taken


async def rebuild(
    db: Database,
    nats_url: str,
    *,
    area_filter: str = "",
    batch_size: int = 5000,
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> RebuildReport:
    """Drop the read models and replay the members and requests streams from the start."""
    started = time.perf_counter()
    await drop_read_models(db)
    nc = await nats.connect(nats_url, name="grassroots-evaluation-rebuild")
    try:
        events = 0
        for stream in (MEMBERS, REQUESTS):
            events += await replay_stream(
                db, nc, stream, area_filter, batch_size, response_limit_seconds
            )
    finally:
        await nc.drain()
    seconds = time.perf_counter() - started
    REBUILD_DURATION.set(seconds)
    REBUILD_EVENTS.set(events)
    log.info("rebuilt the read models from %d events in %.1fs", events, seconds)
    return RebuildReport(events=events, seconds=seconds)
