"""Rate limits that hold across the replicas of a deployment: token buckets in the database.

Each check is one atomic upsert on `kit_rate_limits` (PostgreSQL or SQLite), so every replica
sharing the service's database draws from the same bucket of a client.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import case, delete

from grassroots.kit.db import Database, dialect_insert
from grassroots.kit.problems import ProblemError
from grassroots.kit.tables import rate_limits

SWEEP_SECONDS = 60.0


class RateLimiter:
    """A token bucket per client: `burst` at once, refilled at `per_minute`; 429 when empty."""

    def __init__(
        self,
        db: Database,
        bucket: str,
        *,
        burst: int,
        per_minute: float,
        what: str = "submissions",
    ) -> None:
        self.db = db
        self.bucket = bucket
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self.what = what
        self._next_sweep = 0.0

    async def check(self, client: str) -> None:
        """Take one token for `client`; raise 429 with Retry-After when there is none."""
        now = time.time()
        row = rate_limits.c
        # Concurrent checks may commit out of order: a check that read the clock earlier than
        # the row's last update refills nothing (rather than a negative amount).
        elapsed = case((row.updated_at < now, now - row.updated_at), else_=0.0)
        refilled = row.tokens + elapsed * self.rate
        refilled = case((refilled > self.burst, self.burst), else_=refilled)
        async with self.db.transaction() as session:
            statement = (
                dialect_insert(session)(rate_limits)
                .values(
                    bucket=self.bucket,
                    client=client[:64],
                    tokens=self.burst - 1.0,
                    updated_at=now,
                    granted=True,
                )
                .on_conflict_do_update(
                    index_elements=["bucket", "client"],
                    set_={
                        "tokens": case((refilled >= 1.0, refilled - 1.0), else_=refilled),
                        "updated_at": case((row.updated_at < now, now), else_=row.updated_at),
                        "granted": refilled >= 1.0,
                    },
                )
                .returning(row.tokens, row.granted)
            )
            tokens, granted = (await session.execute(statement)).one()
            if now >= self._next_sweep:
                self._next_sweep = now + SWEEP_SECONDS
                # A bucket idle long enough to be full again is the same as no row at all.
                idle = self.burst / self.rate
                await session.execute(
                    delete(rate_limits).where(
                        row.bucket == self.bucket, row.updated_at < now - idle
                    )
                )
        if not granted:
            retry = max(1, math.ceil((1.0 - float(tokens)) / self.rate))
            raise ProblemError(
                429,
                f"too many {self.what} from this client; try again later",
                headers={"Retry-After": str(retry)},
            )
