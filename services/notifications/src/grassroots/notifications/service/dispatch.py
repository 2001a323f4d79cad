"""The dispatcher: claims due notifications, sends them through their channels, records outcomes.

A batch is leased (its due time pushed ahead) in one short transaction, sent outside any
transaction with many messages in flight, and its outcomes plus their events are written in a
second transaction. A crash between the two only lets the lease run out: the batch is tried
again, so a message may leave twice but is never lost.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.base import EventData
from grassroots.contracts.events.notifications import (
    NotificationDead,
    NotificationFailed,
    NotificationSent,
)
from grassroots.kit import context as kit_context
from grassroots.kit.db import Database
from grassroots.kit.outbox import Outbox, new_event_id
from grassroots.kit.tables import outbox as outbox_table
from grassroots.notifications import metrics
from grassroots.notifications.adapters.channels import Channel, DeliveryError, Outgoing
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.adapters.orm import notifications, webhooks
from grassroots.notifications.domain.policy import (
    OPEN_STATUSES,
    QuietHours,
    RateLimit,
    hold_for_quiet_hours,
    rate_limited_until,
    retry_delay,
)
from grassroots.notifications.domain.templates import DEFAULT_LOCALE, TemplateText, render_template
from grassroots.notifications.service.store import (
    Contact,
    add_notifications,
    current_templates,
    load_contacts,
    load_preferences,
    notification_row,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
PAID_CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class DispatchPolicy:
    """Tunables of delivery."""

    max_attempts: int = 6
    retry_base_seconds: float = 2.0
    retry_cap_seconds: float = 900.0
    batch_size: int = 500
    concurrency: int = 64
    lease_seconds: float = 120.0
    poll_seconds: float = 0.5
    webhook_pause_after: int = 10
    quiet: QuietHours = field(default_factory=QuietHours)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    area_prefix: str = ""


@dataclass
class Result:
    """What became of one notification in this round."""

    row: Any
    status: str
    attempts: int
    next_attempt_at: datetime
    error: str | None = None
    subject: str | None = None
    body: str | None = None
    sent_at: datetime | None = None


class Dispatcher:
    """Sends due notifications; one per process is enough, several share work on PostgreSQL."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        sealer: Sealer,
        clock: Clock,
        policy: DispatchPolicy,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.channels = channels
        self.sealer = sealer
        self.clock = clock
        self.policy = policy
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        db.on_commit(self._wake.set)

    async def _idle(self, seconds: float) -> None:
        """Wait for a wake-up or `seconds`.

        Not `asyncio.wait_for`: on Python 3.11 it can swallow a cancellation that arrives as
        the event fires, and the wake-up fires on every commit, so a stop could be lost.
        """
        self._wake.clear()
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError

    def wake(self) -> None:
        """Look for due work now."""
        self._wake.set()

    async def run(self) -> None:
        """Dispatch until cancelled; errors are logged and the loop goes on."""
        loop = asyncio.get_running_loop()
        last_gauge = 0.0
        while True:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise asyncio.CancelledError
            try:
                handled = await self.dispatch_due()
                if loop.time() - last_gauge > 5:
                    await self.refresh_oldest_pending()
                    last_gauge = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("dispatcher: round failed, will retry", exc_info=True)
                handled = 0
                await asyncio.sleep(1.0)
            if handled == 0:
                await self._idle(self.policy.poll_seconds)

    async def refresh_oldest_pending(self) -> None:
        """Set the oldest-pending gauge from the due, unsent notifications."""
        now = self.clock()
        async with self.db.read_only() as session:
            oldest = await session.scalar(
                select(func.min(notifications.c.created_at)).where(
                    notifications.c.status.in_(OPEN_STATUSES),
                    notifications.c.next_attempt_at <= now,
                )
            )
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=now.tzinfo)
        metrics.OLDEST_PENDING.set(0.0 if oldest is None else (now - oldest).total_seconds())

    async def _claim(self) -> list[Any]:
        now = self.clock()
        query = (
            select(notifications)
            .where(
                notifications.c.status.in_(OPEN_STATUSES),
                notifications.c.next_attempt_at <= now,
            )
            .order_by(notifications.c.next_attempt_at)
            .limit(self.policy.batch_size)
        )
        if self.policy.area_prefix:
            query = query.where(notifications.c.area_code.startswith(self.policy.area_prefix))
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        async with self.db.transaction() as session:
            rows = list((await session.execute(query)).all())
            if rows:
                await session.execute(
                    update(notifications)
                    .where(notifications.c.id.in_([r.id for r in rows]))
                    .values(next_attempt_at=now + timedelta(seconds=self.policy.lease_seconds))
                )
        return rows

    async def dispatch_due(self) -> int:
        """Send one batch of due notifications; return how many were handled."""
        rows = await self._claim()
        if not rows:
            return 0
        now = self.clock()
        person_ids = [r.recipient_id for r in rows if r.channel != "webhook"]
        async with self.db.read_only() as session:
            contacts = await load_contacts(session, self.sealer, person_ids)
            prefs = await load_preferences(session, person_ids)
            texts = await current_templates(session)
            subs = await self._subscriptions(session, rows)
            sent_counts = await self._sent_in_window(session, rows, now)
        planned: dict[tuple[str, str], int] = {}
        outcomes: list[Result] = []
        ready: dict[str, list[tuple[Any, Outgoing, TemplateText]]] = {}
        for row in rows:
            plan = self._plan(row, now, contacts, prefs, texts, subs, sent_counts, planned)
            if isinstance(plan, Result):
                outcomes.append(plan)
            else:
                ready.setdefault(row.channel, []).append(plan)
        semaphore = asyncio.Semaphore(self.policy.concurrency)

        async def one(item: tuple[Any, Outgoing, TemplateText]) -> list[Result]:
            async with semaphore:
                return [await self._send(*item)]

        async def many(items: list[tuple[Any, Outgoing, TemplateText]]) -> list[Result]:
            async with semaphore:
                return await self._send_many(items)

        jobs = []
        for channel_name, items in ready.items():
            channel = self.channels.get(channel_name)
            batch = int(getattr(channel, "batch_size", 1))
            if batch > 1 and hasattr(channel, "send_many"):
                jobs += [many(items[i : i + batch]) for i in range(0, len(items), batch)]
            else:
                jobs += [one(item) for item in items]
        for results in await asyncio.gather(*jobs):
            outcomes += results
        await self._record(outcomes, now)
        return len(rows)

    async def _subscriptions(self, session: AsyncSession, rows: list[Any]) -> dict[str, Any]:
        ids = {r.webhook_id for r in rows if r.webhook_id}
        if not ids:
            return {}
        found = (await session.execute(select(webhooks).where(webhooks.c.id.in_(ids)))).all()
        return {s.id: s for s in found}

    async def _sent_in_window(
        self, session: AsyncSession, rows: list[Any], now: datetime
    ) -> dict[tuple[str, str], int]:
        paid = {r.recipient_id for r in rows if r.channel in PAID_CHANNELS}
        if not paid:
            return {}
        since = now - timedelta(seconds=self.policy.rate_limit.window_seconds)
        counted = (
            await session.execute(
                select(notifications.c.recipient_id, notifications.c.channel, func.count())
                .where(
                    notifications.c.recipient_id.in_(paid),
                    notifications.c.channel.in_(PAID_CHANNELS),
                    notifications.c.sent_at >= since,
                )
                .group_by(notifications.c.recipient_id, notifications.c.channel)
            )
        ).all()
        return {(r[0], r[1]): int(r[2]) for r in counted}

    def _failure(self, row: Any, now: datetime, error: DeliveryError) -> Result:
        attempts = row.attempts + 1
        if not error.retryable:
            return Result(row, "failed", attempts, now, error=error.reason)
        if attempts >= self.policy.max_attempts:
            return Result(row, "dead", attempts, now, error=error.reason)
        delay = retry_delay(
            attempts,
            base=self.policy.retry_base_seconds,
            cap=self.policy.retry_cap_seconds,
            rng=self.rng,
        )
        return Result(row, "retrying", attempts, now + timedelta(seconds=delay), error=error.reason)

    def _plan(
        self,
        row: Any,
        now: datetime,
        contacts: dict[str, Contact],
        prefs: dict[str, Any],
        texts: dict[tuple[str, str], TemplateText],
        subs: dict[str, Any],
        sent_counts: dict[tuple[str, str], int],
        planned: dict[tuple[str, str], int],
    ) -> Result | tuple[Any, Outgoing, TemplateText]:
        """Resolve and render one notification, or decide it must wait or cannot go."""
        try:
            outgoing, rendered = self._prepare(row, contacts, prefs, texts, subs)
        except DeliveryError as exc:
            if not exc.retryable:
                log.info(
                    "notification not sent: %s",
                    exc.reason,
                    extra={"notification_id": row.id, "rule": row.rule},
                )
            return self._failure(row, now, exc)
        held = hold_for_quiet_hours(row.channel, row.urgent, now, self.policy.quiet)
        if held is not None:
            return Result(row, row.status, row.attempts, held, error=row.last_error)
        if row.channel in PAID_CHANNELS:
            key = (row.recipient_id, row.channel)
            used = sent_counts.get(key, 0) + planned.get(key, 0)
            later = rate_limited_until(used, self.policy.rate_limit, now)
            if later is not None:
                return Result(row, row.status, row.attempts, later, error="rate limited")
            planned[key] = planned.get(key, 0) + 1
        if row.channel not in self.channels:
            return self._failure(row, now, DeliveryError("channel not enabled", retryable=False))
        return row, outgoing, rendered

    def _sent(self, row: Any, status: str, rendered: TemplateText) -> Result:
        return Result(
            row,
            status,
            row.attempts + 1,
            self.clock(),
            subject=rendered.subject,
            body=rendered.body,
            sent_at=self.clock(),
        )

    async def _send(self, row: Any, outgoing: Outgoing, rendered: TemplateText) -> Result:
        """Send one message through its channel."""
        try:
            status = await self.channels[row.channel].send(outgoing)
        except DeliveryError as exc:
            return self._failure(row, self.clock(), exc)
        except Exception as exc:  # a channel bug must not lose the notification
            log.warning("channel %s raised", row.channel, exc_info=True)
            return self._failure(row, self.clock(), DeliveryError(repr(exc)))
        return self._sent(row, status, rendered)

    async def _send_many(self, items: list[tuple[Any, Outgoing, TemplateText]]) -> list[Result]:
        """Send a batch through a channel that takes many messages per request."""
        channel: Any = self.channels[items[0][0].channel]
        try:
            outcomes = await channel.send_many([outgoing for _, outgoing, _ in items])
        except Exception as exc:  # a channel bug must not lose the notifications
            log.warning("channel %s raised", items[0][0].channel, exc_info=True)
            outcomes = [DeliveryError(repr(exc))] * len(items)
        now = self.clock()
        return [
            self._failure(row, now, outcome)
            if isinstance(outcome, DeliveryError)
            else self._sent(row, outcome, rendered)
            for (row, _, rendered), outcome in zip(items, outcomes, strict=True)
        ]

    def _prepare(
        self,
        row: Any,
        contacts: dict[str, Contact],
        prefs: dict[str, Any],
        texts: dict[tuple[str, str], TemplateText],
        subs: dict[str, Any],
    ) -> tuple[Outgoing, TemplateText]:
        if row.channel == "webhook":
            sub = subs.get(row.webhook_id)
            if sub is None or sub.status != "active":
                raise DeliveryError("webhook subscription paused or deleted", retryable=False)
            secret = self.sealer.open(sub.id, sub.sealed_secret, field="webhook_secret")["secret"]
            label = TemplateText(row.context.get("event_type", "event"), "")
            outgoing = Outgoing(row.id, sub.url, label.subject, "", row.payload, secret)
            return outgoing, label
        contact = contacts.get(row.recipient_id)
        if contact is not None and contact.erased:
            metrics.DROPPED.inc()
            raise DeliveryError("contact erased", retryable=False)
        address = ""
        if row.channel != "inbox":
            if contact is None:
                raise DeliveryError("no contact details yet")
            address = contact.address(row.channel) or ""
            if not address:
                raise DeliveryError(f"no address for {row.channel}", retryable=False)
        pref = prefs.get(row.recipient_id)
        locale = pref.locale if pref is not None else DEFAULT_LOCALE
        template = texts.get((row.template_key, locale)) or texts.get(
            (row.template_key, DEFAULT_LOCALE)
        )
        if template is None:
            raise DeliveryError(f"no template {row.template_key}", retryable=False)
        variables = dict(row.context)
        if row.recipient_kind == "citizen":
            variables["tracking_code"] = (contact.tracking_code if contact else None) or ""
        try:
            rendered = render_template(template, variables)
        except Exception as exc:
            raise DeliveryError(f"template does not render: {exc}", retryable=False) from exc
        return Outgoing(row.id, address, rendered.subject, rendered.body), rendered

    async def _record(self, results: list[Result], now: datetime) -> None:
        """Write every outcome and its event in one transaction."""
        events: list[dict[str, Any]] = []
        failures: dict[str, int] = {}
        successes: set[str] = set()
        for result in results:
            row = result.row
            changed = result.status != row.status or result.attempts != row.attempts
            if changed:
                metrics.NOTIFICATIONS.labels(row.channel, result.status).inc()
            data: EventData | None = None
            common = {
                "notification_id": row.id,
                "channel": row.channel,
                "rule": row.rule,
                "recipient_kind": row.recipient_kind,
                "cause_event_id": row.cause_id if not row.cause_id.startswith("b:") else None,
                "version": result.attempts,
                "occurred_at": now,
            }
            if result.status in ("sent", "delivered"):
                data = NotificationSent(**common)
                created = row.created_at
                if created.tzinfo is None:
                    created = created.replace(tzinfo=now.tzinfo)
                metrics.DELIVERY_SECONDS.labels(row.channel).observe(
                    max(0.0, ((result.sent_at or now) - created).total_seconds())
                )
                if row.webhook_id:
                    successes.add(row.webhook_id)
            elif result.status == "retrying" and changed:
                data = NotificationFailed(**common, attempt=result.attempts)
                metrics.RETRIES.labels(row.channel).inc()
            elif result.status in ("dead", "failed") and changed:
                data = NotificationDead(**common, attempts=result.attempts)
                if result.status == "dead":
                    metrics.DEAD.labels(row.channel).inc()
            if row.webhook_id and result.status in ("retrying", "dead"):
                failures[row.webhook_id] = failures.get(row.webhook_id, 0) + 1
                metrics.WEBHOOK_FAILURES.inc()
            if data is not None:
                events.append(self._event_row(data, row.area_code, row.id))
        updates = [
            {
                "_id": r.row.id,
                "_status": r.status,
                "_attempts": r.attempts,
                "_next": r.next_attempt_at,
                "_error": r.error,
                "_subject": r.subject if r.subject is not None else r.row.subject,
                "_body": r.body if r.body is not None else r.row.body,
                "_sent_at": r.sent_at or r.row.sent_at,
            }
            for r in results
        ]
        statement = (
            update(notifications)
            .where(notifications.c.id == bindparam("_id"))
            .values(
                status=bindparam("_status"),
                attempts=bindparam("_attempts"),
                next_attempt_at=bindparam("_next"),
                last_error=bindparam("_error"),
                subject=bindparam("_subject"),
                body=bindparam("_body"),
                sent_at=bindparam("_sent_at"),
            )
        )
        fallbacks = [self._fallback(r.row, now) for r in results if self._falls_back(r)]
        async with self.db.transaction() as session:
            await session.execute(statement, updates)
            if events:
                await session.execute(insert(outbox_table), events)
            await add_notifications(session, fallbacks)
            await self._track_webhooks(session, failures, successes)

    @staticmethod
    def _falls_back(result: Result) -> bool:
        """A message that failed for good on a channel its rule may fall back from."""
        row = result.row
        failed_now = result.status in ("failed", "dead") and row.status not in ("failed", "dead")
        return failed_now and bool((row.context or {}).get("fallback_channels"))

    def _fallback(self, row: Any, now: datetime) -> dict[str, Any]:
        """The same message on the next channel the rule allows."""
        channel, *rest = row.context["fallback_channels"]
        context = {k: v for k, v in row.context.items() if k != "fallback_channels"}
        if rest:
            context["fallback_channels"] = rest
        log.info(
            "notification falls back from %s to %s",
            row.channel,
            channel,
            extra={"notification_id": row.id, "rule": row.rule},
        )
        metrics.FALLBACKS.labels(row.channel, channel).inc()
        return notification_row(
            cause_id=row.cause_id,
            recipient_id=row.recipient_id,
            recipient_kind=row.recipient_kind,
            channel=channel,
            rule=row.rule,
            template_key=row.template_key,
            context=context,
            area_code=row.area_code,
            now=now,
            critical=row.critical,
            urgent=row.urgent,
            request_id=row.request_id,
        )

    async def _track_webhooks(
        self, session: AsyncSession, failures: dict[str, int], successes: set[str]
    ) -> None:
        """Reset a subscription's failure count on success; pause it when failures pile up."""
        for webhook_id in successes - failures.keys():
            await session.execute(
                update(webhooks).where(webhooks.c.id == webhook_id).values(consecutive_failures=0)
            )
        for webhook_id, count in failures.items():
            current = await session.scalar(
                select(webhooks.c.consecutive_failures).where(webhooks.c.id == webhook_id)
            )
            total = int(current or 0) + count
            values: dict[str, Any] = {"consecutive_failures": total}
            if total >= self.policy.webhook_pause_after:
                values["status"] = "paused"
                values["paused_reason"] = f"{total} failed deliveries in a row"
                metrics.WEBHOOKS_PAUSED.inc()
                log.warning(
                    "webhook subscription paused after %d failures",
                    total,
                    extra={"webhook_id": webhook_id},
                )
            await session.execute(
                update(webhooks)
                .where(webhooks.c.id == webhook_id, webhooks.c.status == "active")
                .values(**values)
            )

    def _event_row(self, data: EventData, area_code: str, aggregate_id: str) -> dict[str, Any]:
        event = CloudEvent(
            id=new_event_id(),
            source=self.outbox.source,
            type=data.event_type(),
            subject=aggregate_id,
            time=self.clock(),
            data=data.model_dump(mode="json"),
            areacode=area_code,
            correlationid=kit_context.correlation_id.get(),
        )
        return Outbox.row(event, data)
