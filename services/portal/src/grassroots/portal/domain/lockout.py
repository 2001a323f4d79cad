"""Lock-out with back-off: after repeated failures, each further one doubles the wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class BackOff:
    """`threshold` failures lock for `base`; each failure after that doubles it, up to `cap`."""

    threshold: int
    base: timedelta
    cap: timedelta

    def lock_for(self, failures: int) -> timedelta | None:
        """How long `failures` consecutive failures lock, or None below the threshold."""
        if failures < self.threshold:
            return None
        doublings = min(failures - self.threshold, 20)
        wait: timedelta = min(self.base * (2**doublings), self.cap)
        return wait


@dataclass
class ClientFailures:
    """Failed sign-ins from one client address inside the forgetting window."""

    client_key: str
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None = None

    def record(self, now: datetime, back_off: BackOff, forget_after: timedelta) -> None:
        """Count one more failure (failures older than `forget_after` are forgotten)."""
        if now - self.last_failure_at > forget_after:
            self.failures = 0
        self.failures += 1
        self.last_failure_at = now
        wait = back_off.lock_for(self.failures)
        self.locked_until = now + wait if wait else None


def seconds_left(until: datetime | None, now: datetime) -> int:
    """Whole seconds until `until` (0 when it has passed or is unset)."""
    if until is None or until <= now:
        return 0
    return int((until - now).total_seconds() + 0.999)
