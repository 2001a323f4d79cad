"""Every background loop of the requests service, started by `main.py` with the app.

- `sla_scanner`: every `GR_REQUESTS_SLA_SCAN_SECONDS`, one `service.sla.scan_once` (waits that
  ran out, reminders, overdue and escalation, supervision, stale resolved requests, gauges);
  an error is logged and the next pass tries again. Off with `GR_REQUESTS_RUN_SCANNER=false`.

Before the service reports ready it loads the working-day calendar and the segmentation
dictionary of duplicate detection. The kit's loops (outbox relay, consumers) are `Runtime`'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from grassroots.kit.app import Runtime
from grassroots.requests.domain.duplicates import warm_up
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.sla import scan_once

log = logging.getLogger(__name__)


async def sla_scanner(ctx: RequestsContext) -> None:
    """Scan every `GR_REQUESTS_SLA_SCAN_SECONDS` until cancelled; errors are logged, not fatal."""
    interval = ctx.settings.requests_sla_scan_seconds
    while True:
        try:
            await scan_once(ctx)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("sla scan failed; will retry", exc_info=True)
        await asyncio.sleep(interval)


def loops(ctx: RequestsContext) -> Callable[[Runtime], AbstractAsyncContextManager[None]]:
    """The app's extra lifespan: warm-ups first, then the service's loops."""

    @asynccontextmanager
    async def lifespan(runtime: Runtime) -> AsyncIterator[None]:
        await ctx.reload_calendar()
        # The segmentation dictionary takes about a second to load: load it before the service
        # reports ready, so the first intakes after a start or a restart do not stall on it.
        await asyncio.to_thread(warm_up)
        if ctx.settings.requests_run_scanner:
            runtime.add_task(asyncio.create_task(sla_scanner(ctx), name="requests-sla-scanner"))
        yield

    return lifespan
