"""Every background loop of the notifications service, each a `grassroots.kit.loops.Loop`.

- `dispatcher`: leases due notifications, sends them, records outcomes (`service/dispatch.py`);
  woken by every commit of this process, so new work leaves at once;
- `broadcaster`: fans running broadcasts out in batches (`service/broadcasts.py`); woken when
  a broadcast is created;
- `oldest_pending`: keeps the oldest-pending gauge current, every five seconds.

Each round opens its own transactions here, as a route's session does at the HTTP edge; the
kit's loops (outbox relay, consumers) are started by `Runtime`. `main.py` starts these.
"""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.kit.db import Database
from grassroots.kit.loops import Loop
from grassroots.notifications.service import broadcasts, dispatch
from grassroots.notifications.service.deps import Deps

GAUGE_SECONDS = 5.0


@dataclass(frozen=True)
class Loops:
    """The service's loops, to start with the app and to wake from routes and tests."""

    dispatcher: Loop
    broadcaster: Loop
    oldest_pending: Loop

    def all(self) -> list[Loop]:
        """Every loop, in starting order."""
        return [self.dispatcher, self.broadcaster, self.oldest_pending]


def dispatcher_loop(db: Database, deps: Deps) -> Loop:
    """The dispatcher: one round sends one leased batch; it wakes on every commit."""

    async def dispatch_round() -> bool:
        async with db.transaction() as session:
            rows = await dispatch.lease_due_notifications(session, deps)
        if not rows:
            return False
        now = deps.clock()
        async with db.read_only() as session:
            planned = await dispatch.plan_deliveries(session, deps, rows, now)
        # Sent outside any transaction: a slow gateway holds no connection or lock.
        results = await dispatch.send_deliveries(deps, planned)
        async with db.transaction() as session:
            await dispatch.record_outcomes(session, deps, results, now)
        return True

    loop = Loop("notifications-dispatcher", dispatch_round, period=deps.policy.poll_seconds)
    db.on_commit(loop.wake)
    return loop


def build_loops(db: Database, deps: Deps) -> Loops:
    """The loops of the table above, bound to the database and the deps."""

    async def fan_out_round() -> bool:
        async with db.transaction() as session:
            return await broadcasts.fan_out_broadcasts(session, deps)

    async def gauge_round() -> bool:
        async with db.read_only() as session:
            await dispatch.refresh_oldest_pending(session, deps)
        return False

    return Loops(
        dispatcher=dispatcher_loop(db, deps),
        broadcaster=Loop(
            "notifications-broadcaster", fan_out_round, period=deps.policy.poll_seconds
        ),
        oldest_pending=Loop("notifications-oldest-pending", gauge_round, period=GAUGE_SECONDS),
    )
