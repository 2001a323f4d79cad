"""Delivery: lease due notifications, send them through their channels, record the outcomes.

A batch is leased (its due time pushed ahead) in one short transaction, sent outside any
transaction with many messages in flight, and its outcomes plus their events are written in a
second transaction (`entrypoints/loops.py` opens them). A crash between the two only lets the
lease run out: the batch is tried again, so a message may leave twice but is never lost.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.base import EventData
from grassroots.contracts.events.notifications import (
    NotificationDead,
    NotificationFailed,
    NotificationSent,
)
from grassroots.kit import context as kit_context
from grassroots.kit.db import AsyncSession
from grassroots.kit.outbox import Outbox, new_event_id
from grassroots.notifications import metrics
from grassroots.notifications.adapters import notifications as repo
from grassroots.notifications.adapters import webhooks as webhook_repo
from grassroots.notifications.adapters.channels import DeliveryError, Outgoing
from grassroots.notifications.adapters.recipients import load_contacts, load_preferences
from grassroots.notifications.adapters.templates import current_templates
from grassroots.notifications.domain.notification import notification_row
from grassroots.notifications.domain.policy import (
    hold_for_quiet_hours,
    rate_limited_until,
    retry_delay,
)
from grassroots.notifications.domain.recipients import Contact, Preference
from grassroots.notifications.domain.templates import DEFAULT_LOCALE, TemplateText, render_template
from grassroots.notifications.service.deps import Deps

log = logging.getLogger(__name__)

PAID_CHANNELS = ("sms", "email")

Ready = tuple[Any, Outgoing, TemplateText]


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


@dataclass
class Planned:
    """A leased batch after planning: outcomes decided already, and messages ready by channel."""

    outcomes: list[Result] = field(default_factory=list)
    ready: dict[str, list[Ready]] = field(default_factory=dict)


async def lease_due_notifications(session: AsyncSession, deps: Deps) -> list[Any]:
    """Claim one batch of due notifications for this process (their lease starts now)."""
    return await repo.lease_due(
        session,
        deps.clock(),
        limit=deps.policy.batch_size,
        area_prefix=deps.policy.area_prefix,
        lease_seconds=deps.policy.lease_seconds,
    )


async def refresh_oldest_pending(session: AsyncSession, deps: Deps) -> None:
    """Set the oldest-pending gauge from the due, unsent notifications."""
    now = deps.clock()
    oldest = await repo.oldest_due_created_at(session, now)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    metrics.OLDEST_PENDING.set(0.0 if oldest is None else (now - oldest).total_seconds())


async def plan_deliveries(
    session: AsyncSession, deps: Deps, rows: list[Any], now: datetime
) -> Planned:
    """Resolve and render each leased notification, or decide it must wait or cannot go."""
    person_ids = [r.recipient_id for r in rows if r.channel != "webhook"]
    contacts = await load_contacts(session, deps.sealer, person_ids)
    prefs = await load_preferences(session, person_ids)
    texts = await current_templates(session)
    subs = await webhook_repo.webhooks_by_id(session, (r.webhook_id for r in rows if r.webhook_id))
    paid = {r.recipient_id for r in rows if r.channel in PAID_CHANNELS}
    since = now - timedelta(seconds=deps.policy.rate_limit.window_seconds)
    sent_counts = await repo.sent_counts(session, paid, PAID_CHANNELS, since)
    planned_counts: dict[tuple[str, str], int] = {}
    planned = Planned()
    for row in rows:
        plan = _plan(deps, row, now, contacts, prefs, texts, subs, sent_counts, planned_counts)
        if isinstance(plan, Result):
            planned.outcomes.append(plan)
        else:
            planned.ready.setdefault(row.channel, []).append(plan)
    return planned


async def send_deliveries(deps: Deps, planned: Planned) -> list[Result]:
    """Send the ready messages, many in flight, batched where a channel takes many at once."""
    semaphore = asyncio.Semaphore(deps.policy.concurrency)

    async def one(item: Ready) -> list[Result]:
        async with semaphore:
            return [await _send(deps, *item)]

    async def many(items: list[Ready]) -> list[Result]:
        async with semaphore:
            return await _send_many(deps, items)

    jobs = []
    for channel_name, items in planned.ready.items():
        channel = deps.channels.get(channel_name)
        batch = int(getattr(channel, "batch_size", 1))
        if batch > 1 and hasattr(channel, "send_many"):
            jobs += [many(items[i : i + batch]) for i in range(0, len(items), batch)]
        else:
            jobs += [one(item) for item in items]
    outcomes = list(planned.outcomes)
    for results in await asyncio.gather(*jobs):
        outcomes += results
    return outcomes


def _failure(deps: Deps, row: Any, now: datetime, error: DeliveryError) -> Result:
    attempts = row.attempts + 1
    if not error.retryable:
        return Result(row, "failed", attempts, now, error=error.reason)
    if attempts >= deps.policy.max_attempts:
        return Result(row, "dead", attempts, now, error=error.reason)
    delay = retry_delay(
        attempts,
        base=deps.policy.retry_base_seconds,
        cap=deps.policy.retry_cap_seconds,
        rng=deps.rng,
    )
    return Result(row, "retrying", attempts, now + timedelta(seconds=delay), error=error.reason)


def _plan(
    deps: Deps,
    row: Any,
    now: datetime,
    contacts: dict[str, Contact],
    prefs: dict[str, Preference],
    texts: dict[tuple[str, str], TemplateText],
    subs: dict[str, Any],
    sent_counts: dict[tuple[str, str], int],
    planned: dict[tuple[str, str], int],
) -> Result | Ready:
    """Resolve and render one notification, or decide it must wait or cannot go."""
    try:
        outgoing, rendered = _prepare(deps, row, contacts, prefs, texts, subs)
    except DeliveryError as exc:
        if not exc.retryable:
            log.info(
                "notification not sent: %s",
                exc.reason,
                extra={"notification_id": row.id, "rule": row.rule},
            )
        return _failure(deps, row, now, exc)
    held = hold_for_quiet_hours(row.channel, row.urgent, now, deps.policy.quiet)
    if held is not None:
        return Result(row, row.status, row.attempts, held, error=row.last_error)
    if row.channel in PAID_CHANNELS:
        key = (row.recipient_id, row.channel)
        used = sent_counts.get(key, 0) + planned.get(key, 0)
        later = rate_limited_until(used, deps.policy.rate_limit, now)
        if later is not None:
            return Result(row, row.status, row.attempts, later, error="rate limited")
        planned[key] = planned.get(key, 0) + 1
    if row.channel not in deps.channels:
        return _failure(deps, row, now, DeliveryError("channel not enabled", retryable=False))
    return row, outgoing, rendered


def _sent(deps: Deps, row: Any, status: str, rendered: TemplateText) -> Result:
    return Result(
        row,
        status,
        row.attempts + 1,
        deps.clock(),
        subject=rendered.subject,
        body=rendered.body,
        sent_at=deps.clock(),
    )


async def _send(deps: Deps, row: Any, outgoing: Outgoing, rendered: TemplateText) -> Result:
    """Send one message through its channel."""
    try:
        status = await deps.channels[row.channel].send(outgoing)
    except DeliveryError as exc:
        return _failure(deps, row, deps.clock(), exc)
    except Exception as exc:  # a channel bug must not lose the notification
        log.warning("channel %s raised", row.channel, exc_info=True)
        return _failure(deps, row, deps.clock(), DeliveryError(repr(exc)))
    return _sent(deps, row, status, rendered)


async def _send_many(deps: Deps, items: list[Ready]) -> list[Result]:
    """Send a batch through a channel that takes many messages per request."""
    channel: Any = deps.channels[items[0][0].channel]
    try:
        outcomes = await channel.send_many([outgoing for _, outgoing, _ in items])
    except Exception as exc:  # a channel bug must not lose the notifications
        log.warning("channel %s raised", items[0][0].channel, exc_info=True)
        outcomes = [DeliveryError(repr(exc))] * len(items)
    now = deps.clock()
    return [
        _failure(deps, row, now, outcome)
        if isinstance(outcome, DeliveryError)
        else _sent(deps, row, outcome, rendered)
        for (row, _, rendered), outcome in zip(items, outcomes, strict=True)
    ]


def _prepare(
    deps: Deps,
    row: Any,
    contacts: dict[str, Contact],
    prefs: dict[str, Preference],
    texts: dict[tuple[str, str], TemplateText],
    subs: dict[str, Any],
) -> tuple[Outgoing, TemplateText]:
    if row.channel == "webhook":
        sub = subs.get(row.webhook_id)
        if sub is None or sub.status != "active":
            raise DeliveryError("webhook subscription paused or deleted", retryable=False)
        secret = deps.sealer.open(sub.id, sub.sealed_secret, field="webhook_secret")["secret"]
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


async def record_outcomes(
    session: AsyncSession, deps: Deps, results: list[Result], now: datetime
) -> None:
    """Write every outcome, its event, fallbacks and webhook health (one transaction)."""
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
            events.append(_event_row(deps, data, row.area_code, row.id))
    outcomes = [
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
    fallbacks = [_fallback(r.row, now) for r in results if _falls_back(r)]
    await repo.save_outcomes(session, outcomes, events)
    await repo.add_notifications(session, fallbacks)
    await _track_webhooks(session, deps, failures, successes)


def _falls_back(result: Result) -> bool:
    """A message that failed for good on a channel its rule may fall back from."""
    row = result.row
    failed_now = result.status in ("failed", "dead") and row.status not in ("failed", "dead")
    return failed_now and bool((row.context or {}).get("fallback_channels"))


def _fallback(row: Any, now: datetime) -> dict[str, Any]:
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
    session: AsyncSession, deps: Deps, failures: dict[str, int], successes: set[str]
) -> None:
    """Reset a subscription's failure count on success; pause it when failures pile up."""
    for webhook_id in successes - failures.keys():
        await webhook_repo.set_webhook(session, webhook_id, {"consecutive_failures": 0})
    for webhook_id, count in failures.items():
        total = await webhook_repo.failures_of(session, webhook_id) + count
        values: dict[str, Any] = {"consecutive_failures": total}
        if total >= deps.policy.webhook_pause_after:
            values["status"] = "paused"
            values["paused_reason"] = f"{total} failed deliveries in a row"
            metrics.WEBHOOKS_PAUSED.inc()
            log.warning(
                "webhook subscription paused after %d failures",
                total,
                extra={"webhook_id": webhook_id},
            )
        await webhook_repo.set_active_webhook(session, webhook_id, values)


def _event_row(deps: Deps, data: EventData, area_code: str, aggregate_id: str) -> dict[str, Any]:
    event = CloudEvent(
        id=new_event_id(),
        source=deps.outbox.source,
        type=data.event_type(),
        subject=aggregate_id,
        time=deps.clock(),
        data=data.model_dump(mode="json"),
        areacode=area_code,
        correlationid=kit_context.correlation_id.get(),
    )
    return Outbox.row(event, data)
