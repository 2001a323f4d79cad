"""Per-client token buckets for token-less public endpoints (answered 429 when empty)."""

from __future__ import annotations

import time
from collections import OrderedDict

from grassroots.kit.problems import ProblemError


class RateLimiter:
    """A token bucket per client key, in this process; the oldest keys are forgotten first."""

    def __init__(
        self,
        burst: int,
        per_minute: float,
        max_clients: int = 100_000,
        what: str = "submissions",
    ) -> None:
        self.what = what
        self.burst = burst
        self.rate = per_minute / 60.0
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def check(self, client: str) -> None:
        """Take one token for `client`; raise 429 with Retry-After when there is none."""
        now = time.monotonic()
        tokens, last = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[client] = (tokens, now)
            retry = max(1, int((1.0 - tokens) / self.rate) + 1)
            raise ProblemError(
                429,
                f"too many {self.what} from this client; try again later",
                headers={"Retry-After": str(retry)},
            )
        self._buckets[client] = (tokens - 1.0, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
