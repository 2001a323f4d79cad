"""Every background loop of the members service, started by `main.py` with the app.

- the sweeper closes transfer letters past their validity (`service.sweeper`);
- the gauges loop recounts the per-county business gauges (`service.gauges`).

The kit's own loops (the outbox relay, the consumers' lag watch) are started by `Runtime`.
The service consumes no NATS stream, so there is no `subscribers.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from grassroots.kit.app import Runtime
from grassroots.members.service.deps import Deps
from grassroots.members.service.gauges import refresh_gauges
from grassroots.members.service.sweeper import expire_overdue_letters

log = logging.getLogger(__name__)


async def every(interval: float, work: Callable[[], Awaitable[Any]], what: str) -> None:
    """Run `work` every `interval` seconds until cancelled; a failed round is logged."""
    while True:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("members %s: a round failed", what, exc_info=True)
        await asyncio.sleep(interval)


def background_loops(
    deps: Deps, *, gauges_seconds: float, sweep_seconds: float
) -> Callable[[Runtime], AbstractAsyncContextManager[Any]]:
    """A lifespan hook starting the gauges loop and (unless `sweep_seconds` is 0) the sweeper."""

    @asynccontextmanager
    async def lifespan(runtime: Runtime) -> AsyncIterator[None]:
        gauges = every(gauges_seconds, lambda: refresh_gauges(runtime), "gauges")
        runtime.add_task(asyncio.create_task(gauges, name="members-gauges"))
        if sweep_seconds > 0:
            sweeper = every(sweep_seconds, lambda: expire_overdue_letters(runtime, deps), "sweeper")
            runtime.add_task(asyncio.create_task(sweeper, name="members-sweeper"))
        yield

    return lifespan
