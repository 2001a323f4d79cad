"""JetStream set-up: streams, durable pull consumers with inbox, back-off and dead letters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import nats
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.aio.client import Client as NatsClient
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
from grassroots.kit.inbox import claim_event
from grassroots.kit.settings import ServiceSettings
from grassroots.kit.tables import dead_letters

log = logging.getLogger(__name__)

EventHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
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
        self.specs: list[ConsumerSpec] = []

    def durable(self, spec: ConsumerSpec) -> str:
        """The durable consumer name of `spec` in this deployment."""
        return durable_name(self.service, spec.name, self.settings.area_filter)

    def add(self, spec: ConsumerSpec) -> None:
        """Subscribe `spec` as a durable pull consumer narrowed by the area filter."""
        self.specs.append(spec)
        subject = area_filter_subject(spec.stream.domain, self.settings.area_filter)
        durable = self.durable(spec)
        config = ConsumerConfig(
            durable_name=durable,
            filter_subject=subject,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.settings.consumer_ack_wait_seconds,
            max_deliver=self.settings.consumer_max_deliver + SERVER_DELIVERY_SLACK,
            max_ack_pending=max(1000, self.settings.consumer_batch_size * 4),
        )

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
                await self.park(
                    spec, raw.subject, event.id, event.type, raw.data, repr(exc), delivered
                )
                return
            await message.nack(delay=self.backoff(delivered))
        finally:
            context.correlation_id.reset(corr)
            context.causation_id.reset(cause)

    async def park(
        self,
        spec: ConsumerSpec,
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
