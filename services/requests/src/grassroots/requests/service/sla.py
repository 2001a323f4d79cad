"""The SLA scanner: overdue requests move up once per breach; stale resolved ones close."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.orgtree import get_unit
from grassroots.requests import metrics
from grassroots.requests.adapters import repository
from grassroots.requests.domain.machine import Action
from grassroots.requests.service.chasing import chase_due_requests, supervise_breaches
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.dispatching import resume_expired_waits
from grassroots.requests.service.events import emit
from grassroots.requests.service.handling import apply_transition, escalate

log = logging.getLogger(__name__)

SCANNER = "system:sla-scanner"


@dataclass
class ScanResult:
    """What one scan did."""

    overdue: int = 0
    escalated: int = 0
    closed: int = 0


async def escalate_overdue_requests(
    ctx: RequestsContext, now: datetime | None = None
) -> ScanResult:
    """Handle every request past its due time once: `overdue`, then up to the parent unit."""
    now = now or utcnow()
    result = ScanResult()
    batch = ctx.settings.requests_sla_scan_batch
    # Units and catalogue items repeat across overdue requests: look each up once per scan.
    cache: dict[tuple[str, str], Any] = {}
    while True:
        async with ctx.db.transaction() as session:
            rows = await repository.claim_overdue(
                session, now=now, area_prefix=ctx.settings.area_prefix, limit=batch
            )
            for row in rows:
                outcome = await _handle_breach(ctx, session, row, now, cache)
                result.overdue += outcome is not None
                result.escalated += outcome == "escalated"
        if len(rows) < batch:
            return result


async def _handle_breach(
    ctx: RequestsContext,
    session: AsyncSession,
    row: dict[str, Any],
    now: datetime,
    cache: dict[tuple[str, str], Any],
) -> str | None:
    """Mark one breach (guarded by the version) and escalate when there is a unit above."""
    marked = await repository.mark_overdue(
        session,
        row,
        now=now,
        actor=SCANNER,
        note=f"past its due time {as_utc(row['due_at']).isoformat()}",
    )
    if marked is None:
        return None
    row = marked
    await emit(ctx.runtime.outbox, session, "overdue", row, occurred_at=now, actor=SCANNER)
    key = ("unit", row["org_unit_id"])
    if key not in cache:
        cache[key] = await get_unit(session, row["org_unit_id"])
    unit = cache[key]
    if unit is None or unit.parent_id is None:
        log.warning("overdue request %s has no unit above %s", row["id"], row["org_unit_id"])
        return "marked"
    await escalate(ctx, session, row, actor=SCANNER, reason="overdue", cause="overdue", now=now)
    return "escalated"


async def close_stale_resolved(ctx: RequestsContext, now: datetime | None = None) -> int:
    """Close requests resolved longer ago than the auto-close delay without feedback."""
    now = now or utcnow()
    cutoff = now - timedelta(days=ctx.settings.requests_auto_close_days)
    closed = 0
    async with ctx.db.transaction() as session:
        stale = await repository.claim_stale_resolved(
            session,
            cutoff=cutoff,
            area_prefix=ctx.settings.area_prefix,
            limit=ctx.settings.requests_sla_scan_batch,
        )
        for row in stale:
            await apply_transition(
                ctx,
                session,
                row,
                Action.CLOSE,
                actor=SCANNER,
                note="closed automatically after the feedback period",
                changes={"closed_at": now},
                now=now,
            )
            closed += 1
    return closed


async def refresh_gauges(ctx: RequestsContext, now: datetime | None = None) -> None:
    """Open and overdue requests by holding tier, and the scanner's lag."""
    now = now or utcnow()
    async with ctx.db.read_only() as session:
        rows, oldest = await repository.open_by_tier(
            session, now=now, area_prefix=ctx.settings.area_prefix
        )
    for tier in ("grid", "village", "township", "county", "city", "province"):
        metrics.OPEN.labels(tier).set(0)
        metrics.OVERDUE.labels(tier).set(0)
    for tier, count, overdue in rows:
        metrics.OPEN.labels(tier).set(count)
        metrics.OVERDUE.labels(tier).set(overdue)
    metrics.SCAN_LAG.set(0 if oldest is None else (now - as_utc(oldest)).total_seconds())


async def scan_once(ctx: RequestsContext) -> ScanResult:
    """One pass of the scanner: waits, reminders, overdue, breaches, stale, gauges."""
    await ctx.reload_calendar()
    started = asyncio.get_running_loop().time()
    await resume_expired_waits(ctx)
    await chase_due_requests(ctx)
    result = await escalate_overdue_requests(ctx)
    metrics.SCAN_DURATION.observe(asyncio.get_running_loop().time() - started)
    await supervise_breaches(ctx)
    result.closed = await close_stale_resolved(ctx)
    await ctx.idempotency.purge_expired()
    await refresh_gauges(ctx)
    if result.overdue or result.closed:
        log.info(
            "sla scan: %d overdue, %d escalated, %d closed",
            result.overdue,
            result.escalated,
            result.closed,
        )
    return result
