"""One periodic, wakeable background loop: period, wake-up, back-off on errors, clean stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

log = logging.getLogger(__name__)

# A round answers whether it did work: when it did, the next round starts at once.
Round = Callable[[], Awaitable[bool]]


class Loop:
    """Runs `round` until cancelled; idles `period` seconds (or until `wake()`) after an idle round.

    A round that raises is logged; the loop then waits `error_delay` seconds, doubled after each
    further failure up to `max_error_delay`, before it idles and tries again.
    """

    def __init__(
        self,
        name: str,
        round: Round,
        *,
        period: float,
        error_delay: float = 1.0,
        max_error_delay: float = 30.0,
    ) -> None:
        self.name = name
        self.round = round
        self.period = period
        self.error_delay = error_delay
        self.max_error_delay = max_error_delay
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Start the next round now instead of at the end of the period."""
        self._wake.set()

    def start(self) -> asyncio.Task[None]:
        """The loop as a named task of the running event loop."""
        return asyncio.create_task(self.run(), name=self.name)

    async def run(self) -> None:
        """Run rounds until cancelled; errors are logged and the loop goes on."""
        failures = 0
        while True:
            _raise_if_cancelling()
            try:
                worked = await self.round()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("%s: round failed, will retry", self.name, exc_info=True)
                worked = False
                await asyncio.sleep(self.backoff(failures))
                failures += 1
            if not worked:
                await self.idle(self.period)

    def backoff(self, failures_before: int) -> float:
        """Seconds to wait after a failed round that `failures_before` failed rounds preceded."""
        return float(min(self.error_delay * 2**failures_before, self.max_error_delay))

    async def idle(self, seconds: float) -> None:
        """Wait for a wake-up or `seconds`.

        Not `asyncio.wait_for`: on Python 3.11 it can swallow a cancellation that arrives as
        the event fires, and a wake-up may fire on every commit, so a stop could be lost.
        """
        self._wake.clear()
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        _raise_if_cancelling()


def _raise_if_cancelling() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
