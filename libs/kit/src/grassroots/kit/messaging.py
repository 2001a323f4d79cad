"""JetStream set-up: streams, durable pull consumers with inbox, back-off and dead letters.

Two kinds of consumer share one delivery policy (explicit ack, bounded `max_deliver`, back-off,
dead letters after the last attempt):

- `ConsumerSpec`: one handler call and one transaction per event (FastStream pull subscriber);
- `BatchConsumerSpec` (opt-in): the kit's own pull loop on nats-py hands every event of a
  fetched batch to one handler call in one transaction, acknowledges them all after the commit,
  and falls back to one event per transaction when the batch fails, so a poison message is
  retried and parked on its own while the rest of its batch is applied.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import nats
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.streams import ALL_STREAMS, StreamSpec
from grassroots.contracts.subjects import area_filter_subject
from grassroots.kit import context, metrics
from grassroots.kit.clock import utcnow
from grassroots.kit.db import Database
from grassroots.kit.inbox import claim_event, claim_events
from grassroots.kit.settings import ServiceSettings
from grassroots.kit.tables import dead_letters

log = logging.getLogger(__name__)

EventHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
# Applies events not seen before by this consumer, in delivery order, inside the caller's
# transaction; raising rolls the whole batch back.
BatchHandler = Callable[[AsyncSession, Sequence[CloudEvent]], Awaitable[None]]
# Slack above the application's own bound, so a message survives a failed parking attempt.
SERVER_DELIVERY_SLACK = 3


@dataclass
class ConsumerSpec:
    """A durable consumer: which stream it reads and which handler takes each event type."""

    name: str
    stream: StreamSpec
    handlers: dict[str, EventHandler] = field(default_factory=dict)

    def on(self, event_type: str) -> Callable[[EventHandler], EventHandler]:
        """Decorator registering a handler for one event type."""

        def register(handler: EventHandler) -> EventHandler:
            self.handlers[event_type] = handler
            return handler

        return register


@dataclass
class BatchConsumerSpec:
    """A durable consumer whose handler applies a whole fetched batch in one transaction.

    `event_types` are the types handed to `handler` (others are acknowledged and skipped);
    `max_batch` caps a batch (default: the `consumer_batch_size` setting). A lone event is
    handed over as soon as it arrives: the loop never waits for a batch to fill.
    """

    name: str
    stream: StreamSpec
    event_types: frozenset[str]
    handler: BatchHandler
    max_batch: int | None = None


AnyConsumerSpec = ConsumerSpec | BatchConsumerSpec


async def _undecoded(message: Any) -> bytes:
    """Hand the handler the raw body; the envelope is parsed once, by `process`."""
    body: bytes = message.body
    return body


def durable_name(service: str, consumer: str, area_filter: str) -> str:
    """Durable names include the filter so two deployments never steal each other's messages."""
    base = f"{service}_{consumer}"
    return f"{base}_{area_filter.replace('.', '_')}" if area_filter else base


async def connect_nats(url: str, *, name: str, inbox_prefix: str = "_INBOX") -> NatsClient:
    """A nats-py connection that keeps reconnecting for ever."""
    return await nats.connect(
        url.split(","),
        name=name,
        inbox_prefix=inbox_prefix,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        allow_reconnect=True,
        connect_timeout=5,
        pending_size=64 * 1024 * 1024,
    )


async def ensure_streams(
    js: Any, specs: tuple[StreamSpec, ...] = ALL_STREAMS, *, replicas: int = 1
) -> None:
    """Create the domain streams (file storage, limits retention) if they do not exist."""
    for spec in specs:
        config = StreamConfig(
            num_replicas=replicas,
            name=spec.name,
            subjects=list(spec.subjects),
            description=spec.description,
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            max_age=spec.max_age_days * 86400,
            duplicate_window=spec.duplicate_window_seconds,
        )
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            try:
                await js.add_stream(config)
            except nats.js.errors.BadRequestError:
                # Another service created it meanwhile.
                await js.stream_info(spec.name)


class EventConsumers:
    """Registers a service's consumers on a FastStream broker and runs them safely."""

    def __init__(self, settings: ServiceSettings, db: Database, broker: NatsBroker) -> None:
        self.settings = settings
        self.db = db
        self.broker = broker
        self.service = settings.SERVICE
        self.specs: list[AnyConsumerSpec] = []
        self.batch_consumers: list[BatchConsumer] = []

    @property
    def uses_broker(self) -> bool:
        """Whether any consumer runs on the FastStream broker."""
        return any(isinstance(spec, ConsumerSpec) for spec in self.specs)

    def durable(self, spec: AnyConsumerSpec) -> str:
        """The durable consumer name of `spec` in this deployment."""
        return durable_name(self.service, spec.name, self.settings.area_filter)

    def subject(self, spec: AnyConsumerSpec) -> str:
        """The subject filter of `spec`, narrowed by the area filter."""
        return area_filter_subject(spec.stream.domain, self.settings.area_filter)

    def consumer_config(
        self, spec: AnyConsumerSpec, max_batch: int | None = None
    ) -> ConsumerConfig:
        """The durable consumer's configuration: explicit ack, bounded deliveries."""
        batch = max_batch or self.settings.consumer_batch_size
        return ConsumerConfig(
            durable_name=self.durable(spec),
            filter_subject=self.subject(spec),
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.settings.consumer_ack_wait_seconds,
            max_deliver=self.settings.consumer_max_deliver + SERVER_DELIVERY_SLACK,
            max_ack_pending=max(1000, batch * 4),
        )

    def add(self, spec: AnyConsumerSpec) -> None:
        """Subscribe `spec` as a durable pull consumer narrowed by the area filter."""
        self.specs.append(spec)
        metrics.initialise_consumer(self.service, spec.name)
        if isinstance(spec, BatchConsumerSpec):
            self.batch_consumers.append(BatchConsumer(self, spec))
            return
        subject = self.subject(spec)
        durable = self.durable(spec)
        config = self.consumer_config(spec)

        @self.broker.subscriber(
            subject,
            stream=JStream(name=spec.stream.name, declare=False),
            pull_sub=PullSub(batch_size=self.settings.consumer_batch_size, timeout=1.0),
            durable=durable,
            config=config,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_undecoded,
            inbox_prefix=f"{self.settings.nats_inbox_prefix}.".encode(),
            title=f"{self.service}.{spec.name}",
        )
        async def on_message(body: bytes, message: NatsMessage) -> None:
            await self.process(spec, message)

    def backoff(self, delivered: int) -> float:
        """Seconds to wait before the next delivery after `delivered` failed ones."""
        steps = self.settings.consumer_backoff_seconds or [1.0]
        return steps[min(delivered, len(steps)) - 1]

    async def process(self, spec: ConsumerSpec, message: Any) -> None:
        """Handle one delivery: idempotent effect, or a delayed redelivery, or a dead letter."""
        raw = message.raw_message
        delivered = int(raw.metadata.num_delivered or 1)
        consumer = self.durable(spec)
        try:
            event = CloudEvent.from_json_bytes(raw.data)
        except ValidationError as exc:
            # An unreadable message will never succeed: park it at once.
            await self.park(spec, raw.subject, None, None, raw.data, f"unreadable: {exc}", 1)
            return
        handler = spec.handlers.get(event.type)
        if handler is None:
            return
        metrics.EVENTS_CONSUMED.labels(self.service, spec.name, event.type).inc()
        corr = context.correlation_id.set(event.correlationid)
        cause = context.causation_id.set(event.id)
        try:
            async with self.db.transaction() as session:
                if not await claim_event(session, consumer, event.id):
                    metrics.EVENTS_DUPLICATE.labels(self.service, spec.name).inc()
                    return
                await handler(session, event)
        except Exception as exc:
            delay = await self.failed(spec, event, raw.subject, raw.data, delivered, exc)
            if delay is not None:
                await message.nack(delay=delay)
        finally:
            context.correlation_id.reset(corr)
            context.causation_id.reset(cause)

    async def failed(
        self,
        spec: AnyConsumerSpec,
        event: CloudEvent,
        subject: str,
        payload: bytes,
        delivered: int,
        exc: Exception,
    ) -> float | None:
        """Count and log a failed delivery. After the last attempt the message is parked and
        None returned (acknowledge it); otherwise the delay before its redelivery."""
        consumer = self.durable(spec)
        metrics.EVENTS_FAILED.labels(self.service, spec.name).inc()
        log.warning(
            "consumer %s failed on %s (delivery %d): %s",
            consumer,
            event.type,
            delivered,
            exc,
            extra={"event_id": event.id, "event_type": event.type, "consumer": consumer},
        )
        if delivered >= self.settings.consumer_max_deliver:
            await self.park(spec, subject, event.id, event.type, payload, repr(exc), delivered)
            return None
        return self.backoff(delivered)

    async def park(
        self,
        spec: AnyConsumerSpec,
        subject: str,
        event_id: str | None,
        event_type: str | None,
        payload: bytes,
        error: str,
        deliveries: int,
    ) -> None:
        """Store a message that cannot be handled, for an operator to inspect and replay."""
        consumer = self.durable(spec)
        async with self.db.transaction() as session:
            await session.execute(
                insert(dead_letters).values(
                    consumer=consumer,
                    subject=subject,
                    event_id=event_id,
                    event_type=event_type,
                    payload=payload,
                    error=error[:4000],
                    deliveries=deliveries,
                    created_at=utcnow(),
                )
            )
        metrics.EVENTS_DEAD_LETTERED.labels(self.service, spec.name).inc()
        log.error(
            "dead-lettered %s for consumer %s after %d deliveries",
            event_id,
            consumer,
            deliveries,
            extra={"event_id": event_id, "consumer": consumer},
        )

    async def watch_lag(self, js: Any, interval: float = 5.0) -> None:
        """Keep the consumer pending gauges up to date."""
        while True:
            for spec in self.specs:
                durable = self.durable(spec)
                try:
                    info = await js.consumer_info(spec.stream.name, durable)
                except Exception:
                    log.debug("consumer info unavailable for %s", durable, exc_info=True)
                    continue
                metrics.CONSUMER_PENDING.labels(self.service, spec.name).set(info.num_pending)
                metrics.CONSUMER_ACK_PENDING.labels(self.service, spec.name).set(
                    info.num_ack_pending
                )
            await asyncio.sleep(interval)


class BatchConsumer:
    """The pull loop of one `BatchConsumerSpec`, written on nats-py directly.

    nats-py's `fetch(n, timeout)` asks the server for up to n messages and returns as soon as
    at least one is there and no more are pending (checked against nats-server 2.9.10), so a
    lone event is handled at once while a backlog comes in full batches. (FastStream's batch
    subscriber instead keeps fetching until the batch is full or the timeout passes.) The next
    batch is fetched while the current one is applied.
    """

    # How long one pull request waits on the server for a first message; an idle consumer
    # sends one request per period, and a request lost in a NATS restart costs at most this.
    fetch_timeout = 5.0

    def __init__(self, consumers: EventConsumers, spec: BatchConsumerSpec) -> None:
        self.consumers = consumers
        self.spec = spec
        self.max_batch = spec.max_batch or consumers.settings.consumer_batch_size
        self.durable = consumers.durable(spec)
        self.js: Any = None
        self.sub: Any = None

    async def subscribe(self, js: Any) -> None:
        """Create (or bind to) the durable pull consumer."""
        self.js = js
        self.sub = await js.pull_subscribe(
            self.consumers.subject(self.spec),
            durable=self.durable,
            stream=self.spec.stream.name,
            config=self.consumers.consumer_config(self.spec, self.max_batch),
        )

    async def close(self) -> None:
        """Drop the subscription; fetched but unacknowledged messages come back later."""
        if self.sub is not None:
            with suppress(Exception):
                await self.sub.unsubscribe()
            self.sub = None

    async def _fetch(self) -> list[Msg]:
        """The next batch: waits for a first message, never for a full batch."""
        try:
            msgs: list[Msg] = await self.sub.fetch(self.max_batch, timeout=self.fetch_timeout)
            return msgs
        except (TimeoutError, nats.errors.TimeoutError):
            # Idle, or the durable is gone (a pull request to a deleted consumer looks the
            # same): bring it back as a restart would, rather than wait for ever.
            await self._rebind_if_missing()
            return []
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Reconnecting, or the server is gone for a moment: the client reconnects itself.
            log.warning("fetch for %s failed: %s", self.durable, exc)
            await asyncio.sleep(1.0)
            return []

    async def _rebind_if_missing(self) -> None:
        try:
            await self.js.consumer_info(self.spec.stream.name, self.durable)
        except NotFoundError:
            log.warning("durable consumer %s is gone; creating it again", self.durable)
            old = self.sub
            try:
                await self.subscribe(self.js)
            except Exception as exc:
                log.warning("could not create %s again: %s", self.durable, exc)
                self.sub = old
                return
            with suppress(Exception):
                await old.unsubscribe()
        except Exception as exc:
            log.debug("consumer info for %s unavailable: %s", self.durable, exc)

    async def run(self) -> None:
        """Fetch and apply batches until cancelled."""
        if self.sub is None:
            raise RuntimeError("subscribe() first")
        fetching = asyncio.ensure_future(self._fetch())
        try:
            while True:
                msgs = await fetching
                fetching = asyncio.ensure_future(self._fetch())
                if not msgs:
                    continue
                try:
                    await self.handle(msgs)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # E.g. the database is gone while parking: unacknowledged messages come
                    # back after the ack wait.
                    log.exception(
                        "batch consumer %s failed on %d messages", self.durable, len(msgs)
                    )
        finally:
            fetching.cancel()

    async def handle(self, msgs: Sequence[Msg]) -> None:
        """Apply one fetched batch: together if possible, else one message at a time."""
        consumers, spec = self.consumers, self.spec
        batch: list[tuple[Msg, CloudEvent]] = []
        for msg in msgs:
            try:
                event = CloudEvent.from_json_bytes(msg.data)
            except ValidationError as exc:
                # An unreadable message will never succeed: park it at once.
                await consumers.park(
                    spec, msg.subject, None, None, msg.data, f"unreadable: {exc}", 1
                )
                await msg.ack()
                continue
            if event.type not in spec.event_types:
                await msg.ack()
                continue
            metrics.EVENTS_CONSUMED.labels(consumers.service, spec.name, event.type).inc()
            batch.append((msg, event))
        if len(batch) > 1:
            try:
                await self._apply_together([event for _, event in batch])
            except Exception as exc:
                log.info(
                    "batch of %d for %s failed (%s); applying one at a time",
                    len(batch),
                    self.durable,
                    exc,
                )
            else:
                for msg, _ in batch:
                    await msg.ack()
                return
        for msg, event in batch:
            await self._apply_alone(msg, event)

    async def _apply_together(self, events: list[CloudEvent]) -> None:
        """Claim every event in the inbox and apply the new ones in one transaction."""
        fresh: list[CloudEvent] = []
        async with self.consumers.db.transaction() as session:
            claimed = await claim_events(session, self.durable, [e.id for e in events])
            for event in events:
                if event.id in claimed:
                    claimed.discard(event.id)  # the same event twice in one batch: once
                    fresh.append(event)
            if fresh:
                await self.spec.handler(session, fresh)
        if len(fresh) < len(events):
            metrics.EVENTS_DUPLICATE.labels(self.consumers.service, self.spec.name).inc(
                len(events) - len(fresh)
            )

    async def _apply_alone(self, msg: Msg, event: CloudEvent) -> None:
        """One event in its own transaction; a failure means a delayed redelivery or parking."""
        delivered = int(msg.metadata.num_delivered or 1)
        corr = context.correlation_id.set(event.correlationid)
        cause = context.causation_id.set(event.id)
        try:
            async with self.consumers.db.transaction() as session:
                if await claim_event(session, self.durable, event.id):
                    await self.spec.handler(session, [event])
                else:
                    metrics.EVENTS_DUPLICATE.labels(self.consumers.service, self.spec.name).inc()
        except Exception as exc:
            delay = await self.consumers.failed(
                self.spec, event, msg.subject, msg.data, delivered, exc
            )
            if delay is None:
                await msg.ack()
            else:
                await msg.nak(delay=delay)
            return
        finally:
            context.correlation_id.reset(corr)
            context.causation_id.reset(cause)
        await msg.ack()


class StreamReplay:
    """Every message a stream holds now on `subject`, in stream order, as chunks of raw
    payloads: the read side of rebuilding a read model by replay.

    An ephemeral pull consumer (nothing acknowledged, deleted at the end) is read through a
    plain subscription whose callback only collects payloads; pull requests keep at most two
    chunks in flight beyond the one being handed out, so memory stays bounded however far the
    caller falls behind, and nothing is ever dropped as a slow consumer. Messages published
    after the replay began are left to the live consumers.

        async with StreamReplay(nc, "GR_REQUESTS", "gr.requests.v1.>") as replay:
            async for chunk in replay:
                ...
    """

    # Nothing arrived for this long: ask the server whether requests were lost (a reconnect)
    # or messages are gone (age limits), and carry on accordingly.
    idle_seconds = 10.0

    def __init__(self, nc: NatsClient, stream: str, subject: str, chunk_size: int = 5000) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.stream = stream
        self.subject = subject
        self.chunk_size = chunk_size
        self.total = 0
        self.requested = 0
        self.received = 0
        self.handed_out = 0
        self._buffer: list[bytes] = []
        self._chunks: asyncio.Queue[list[bytes]] = asyncio.Queue(maxsize=2)
        self._consumer = ""
        self._inbox = ""
        self._sub: Any = None

    async def __aenter__(self) -> StreamReplay:
        info = await self.js.add_consumer(
            self.stream,
            config=ConsumerConfig(
                filter_subject=self.subject,
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=nats.js.api.AckPolicy.NONE,
                inactive_threshold=120.0,
            ),
        )
        self._consumer = info.name
        self.total = int(info.num_pending or 0)
        self._inbox = self.nc.new_inbox()
        self._sub = await self.nc.subscribe(
            self._inbox,
            cb=self._on_message,
            pending_msgs_limit=4 * self.chunk_size + 1000,
            pending_bytes_limit=1024 * 1024 * 1024,
        )
        await self._top_up()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._sub is not None:
            with suppress(Exception):
                await self._sub.unsubscribe()
        with suppress(Exception):
            await self.js.delete_consumer(self.stream, self._consumer)

    async def _request(self, count: int) -> None:
        subject = f"{nats.js.api.DEFAULT_PREFIX}.CONSUMER.MSG.NEXT.{self.stream}.{self._consumer}"
        await self.nc.publish(subject, json.dumps({"batch": count}).encode(), reply=self._inbox)

    async def _top_up(self) -> None:
        """Keep up to two chunks requested beyond what has arrived."""
        while self.requested < self.total and self.requested - self.received < 2 * self.chunk_size:
            count = min(self.chunk_size, self.total - self.requested)
            self.requested += count
            await self._request(count)

    async def _on_message(self, msg: Msg) -> None:
        if not msg.data and msg.headers and "Status" in msg.headers:
            return  # a status line (no messages, timeout), not an event
        if self.received >= self.total:
            return
        self._buffer.append(msg.data)
        self.received += 1
        if len(self._buffer) >= self.chunk_size or self.received >= self.total:
            await self._top_up()
            await self._flush()

    async def _flush(self) -> None:
        if self._buffer:
            chunk, self._buffer = self._buffer, []
            await self._chunks.put(chunk)

    def __aiter__(self) -> StreamReplay:
        return self

    async def __anext__(self) -> list[bytes]:
        while self.handed_out < self.total:
            try:
                chunk = await asyncio.wait_for(self._chunks.get(), timeout=self.idle_seconds)
            except TimeoutError:
                await self._recover()
                continue
            self.handed_out += len(chunk)
            return chunk
        raise StopAsyncIteration

    async def _recover(self) -> None:
        info = await self.js.consumer_info(self.stream, self._consumer)
        pending = int(info.num_pending or 0)
        if pending == 0:
            # Nothing left to deliver: messages removed meanwhile (age limit) are skipped.
            log.warning(
                "replay of %s: %d of %d messages left the stream meanwhile",
                self.stream,
                self.total - self.received,
                self.total,
            )
            self.total = self.received
            await self._flush()
            return
        # Pull requests were lost (the connection dropped): ask again for what is missing.
        log.warning("replay of %s stalled; requesting %d messages again", self.stream, pending)
        self.requested = self.received
        await self._top_up()


def build_broker(settings: ServiceSettings) -> NatsBroker:
    """A FastStream NATS broker that reconnects for ever."""
    return NatsBroker(
        settings.nats_url.split(","),
        inbox_prefix=settings.nats_inbox_prefix,
        name=f"grassroots-{settings.SERVICE}",
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        logger=logging.getLogger(f"grassroots.{settings.SERVICE}.broker"),
    )
