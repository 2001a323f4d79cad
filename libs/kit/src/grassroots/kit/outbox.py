"""Transactional outbox: events commit with the state change; a relay publishes them."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta
from typing import Any

from sqlalchemy import BigInteger, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.base import EventData
from grassroots.kit import context, metrics
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import Database
from grassroots.kit.tables import outbox

log = logging.getLogger(__name__)


def new_event_id() -> str:
    """A UUIDv7: time-ordered, unique, used as the CloudEvent id and `Nats-Msg-Id`."""
    return str(uuid7())


class Outbox:
    """Writes a service's events into its outbox table inside the caller's transaction."""

    def __init__(self, source: str) -> None:
        self.source = source

    async def add(
        self,
        session: AsyncSession,
        data: EventData,
        *,
        area_code: str,
        aggregate_id: str,
        actor: str | None = None,
        causation_id: str | None = None,
    ) -> CloudEvent:
        """Record `data` as a CloudEvent on its area-coded subject; published after commit."""
        event = self.envelope(
            data,
            area_code=area_code,
            aggregate_id=aggregate_id,
            actor=actor,
            causation_id=causation_id,
        )
        await session.execute(insert(outbox).values(**self.row(event, data)))
        return event

    def envelope(
        self,
        data: EventData,
        *,
        area_code: str,
        aggregate_id: str,
        actor: str | None = None,
        causation_id: str | None = None,
    ) -> CloudEvent:
        """The CloudEvent that carries `data` from this service (for writers that batch rows)."""
        return CloudEvent(
            id=new_event_id(),
            source=self.source,
            type=data.event_type(),
            subject=aggregate_id,
            time=utcnow(),
            data=data.model_dump(mode="json"),
            areacode=area_code,
            correlationid=context.correlation_id.get(),
            causationid=causation_id or context.causation_id.get(),
            actor=actor,
        )

    @staticmethod
    def row(event: CloudEvent, data: EventData) -> dict[str, Any]:
        """The outbox row for an event."""
        return {
            "event_id": event.id,
            "event_type": event.type,
            "subject": data.subject_for(event.areacode),
            "payload": event.to_json_bytes(),
            "created_at": event.time,
            "published_at": None,
        }


class OutboxRelay:
    """Publishes unsent outbox rows to JetStream, many in flight, and marks them sent.

    On PostgreSQL a batch is claimed with FOR UPDATE SKIP LOCKED, so several relay replicas
    never publish the same row twice; a crash after publish but before marking re-publishes
    with the same `Nats-Msg-Id`, which JetStream's duplicate window and the consumers' inbox
    both absorb.
    """

    def __init__(
        self,
        db: Database,
        js: Any,
        *,
        service: str,
        batch_size: int = 1000,
        poll_seconds: float = 0.5,
        publish_timeout: float = 10.0,
        keep_days: int = 7,
        workers: int = 3,
        linger_seconds: float = 0.01,
    ) -> None:
        self.db = db
        self.js = js
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.publish_timeout = publish_timeout
        self.keep_days = keep_days
        self.workers = workers
        self.linger_seconds = linger_seconds
        self._wake = asyncio.Event()
        # Helper workers join only while batches come back full (a backlog to drain), so a
        # trickle of commits costs one claim query each, not one per worker.
        self._backlog = asyncio.Event()
        self._stopping = False
        db.on_commit(self._wake.set)

    def wake(self) -> None:
        """Ask the relay to look for new rows now."""
        self._wake.set()

    async def run(self) -> None:
        """Publish until stopped; on PostgreSQL several workers overlap database and NATS work."""
        workers = 1 if self.db.is_sqlite else self.workers
        await asyncio.gather(*(self._work(primary=i == 0) for i in range(workers)))

    async def _work(self, *, primary: bool) -> None:
        """One worker: publish batches until stopped; on any error wait a little and retry."""
        last_housekeeping = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            if not primary:
                await self._backlog.wait()
                if self._stopping:
                    return
            try:
                published = await self.publish_batch()
                if published >= self.batch_size:
                    self._backlog.set()
                else:
                    self._backlog.clear()
                if primary and loop.time() - last_housekeeping > 5:
                    await self.housekeeping()
                    last_housekeeping = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox relay: batch failed, will retry", exc_info=True)
                published = 0
                await asyncio.sleep(min(self.poll_seconds * 4, 2.0))
            if not primary:
                continue
            if published == 0:
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                    # Woken by a commit: let the commits of the next moment join this batch,
                    # so a busy service publishes in a few large batches, not one per commit.
                    await asyncio.sleep(self.linger_seconds)
            elif published < self.batch_size:
                # Under a steady stream of commits the same: gather a moment's worth first.
                await asyncio.sleep(self.linger_seconds)

    def stop(self) -> None:
        """Let `run` return after its current batch."""
        self._stopping = True
        self._wake.set()
        self._backlog.set()

    async def publish_batch(self) -> int:
        """Publish one batch of unsent rows; return how many were published."""
        query = (
            select(outbox.c.id, outbox.c.event_id, outbox.c.subject, outbox.c.payload)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
        )
        if self.db.is_sqlite:
            # One relay per embedded database; publish outside the write lock.
            async with self.db.read_only() as session:
                rows = (await session.execute(query)).all()
            if not rows:
                return 0
            await self._publish(rows)
            async with self.db.transaction() as session:
                await self._mark_sent(session, [r.id for r in rows])
            return len(rows)
        async with self.db.sessionmaker() as session, session.begin():
            rows = (await session.execute(query.with_for_update(skip_locked=True))).all()
            if not rows:
                return 0
            await self._publish(rows)
            await self._mark_sent(session, [r.id for r in rows])
        return len(rows)

    async def _publish(self, rows: Any) -> None:
        futures = [
            await self.js.publish_async(
                row.subject, row.payload, headers={"Nats-Msg-Id": row.event_id}
            )
            for row in rows
        ]
        # Failures come back as results, so an ack cancelled while the connection closes is
        # raised here rather than left in the gather as an exception nobody retrieves.
        results = await asyncio.wait_for(
            asyncio.gather(*futures, return_exceptions=True), timeout=self.publish_timeout
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        metrics.EVENTS_PUBLISHED.labels(self.service).inc(len(rows))

    @staticmethod
    async def _mark_sent(session: AsyncSession, ids: list[int]) -> None:
        if session.get_bind().dialect.name == "postgresql":
            # One array parameter instead of thousands of bound ids.
            matches = outbox.c.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
        else:
            matches = outbox.c.id.in_(ids)
        await session.execute(update(outbox).where(matches).values(published_at=utcnow()))

    async def housekeeping(self) -> None:
        """Refresh the backlog gauges and drop rows published long ago."""
        async with self.db.read_only() as session:
            backlog, oldest = (
                await session.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(
                        outbox.c.published_at.is_(None)
                    )
                )
            ).one()
        metrics.OUTBOX_BACKLOG.labels(self.service).set(backlog)
        age = 0.0
        if oldest is not None:
            age = max(0.0, (utcnow() - as_utc(oldest)).total_seconds())
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        if self.keep_days:
            cutoff = utcnow() - timedelta(days=self.keep_days)
            async with self.db.transaction() as session:
                await session.execute(
                    delete(outbox).where(
                        outbox.c.published_at.is_not(None), outbox.c.published_at < cutoff
                    )
                )

    async def backlog(self) -> int:
        """How many events wait to be published."""
        async with self.db.read_only() as session:
            count = await session.scalar(
                select(func.count()).where(outbox.c.published_at.is_(None))
            )
        return int(count or 0)
