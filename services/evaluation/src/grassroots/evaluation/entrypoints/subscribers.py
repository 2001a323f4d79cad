"""Every NATS consumer of the evaluation service, as one table (`subscribers`).

- `org_tree` (the kit's): org units created and updated on `GR_MEMBERS`, into the tree replica;
- `requests_projection`: every request event and `visit_logged` on `GR_REQUESTS`;
- `members_projection`: registered, updated, transferred, post claimed and checked in on
  `GR_MEMBERS`; both projections run `service.projection.apply_batch`.

Each fetched batch is one transaction (claimed in the inbox with its effect); the rebuild
(`service/rebuild.py`) replays the same streams through the same projection code.
"""

from __future__ import annotations

from collections.abc import Sequence

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.streams import MEMBERS, REQUESTS
from grassroots.evaluation.metrics import PROJECTION_LAG
from grassroots.evaluation.service.projection import (
    MEMBER_EVENT_TYPES,
    REQUEST_EVENT_TYPES,
    VISIT_LOGGED,
    apply_batch,
)
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.messaging import AnyConsumerSpec, BatchConsumerSpec
from grassroots.kit.orgtree import org_tree_consumer

# Events per transaction at most for the live projection: a backlog is caught up in large
# batches, while a lone event is still applied as soon as it arrives.
PROJECTION_BATCH = 500


def _observe_lag(stream: str, event: CloudEvent | None) -> None:
    if event is not None:
        PROJECTION_LAG.labels(stream).set(max(0.0, (utcnow() - event.time).total_seconds()))


def requests_consumer(response_limit_seconds: int) -> BatchConsumerSpec:
    """The durable consumer projecting the requests stream, a fetched batch per transaction."""

    async def on_batch(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        await apply_batch(session, events, response_limit_seconds)
        _observe_lag(REQUESTS.name, events[-1] if events else None)

    return BatchConsumerSpec(
        name="requests_projection",
        stream=REQUESTS,
        event_types=frozenset([*REQUEST_EVENT_TYPES, VISIT_LOGGED]),
        handler=on_batch,
        max_batch=PROJECTION_BATCH,
    )


def members_consumer() -> BatchConsumerSpec:
    """The durable consumer projecting members, posts and check-ins."""

    async def on_batch(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        await apply_batch(session, events)
        _observe_lag(MEMBERS.name, events[-1] if events else None)

    return BatchConsumerSpec(
        name="members_projection",
        stream=MEMBERS,
        event_types=frozenset(MEMBER_EVENT_TYPES),
        handler=on_batch,
    )


def subscribers(response_limit_seconds: int) -> list[AnyConsumerSpec]:
    """The consumers of the table above, as the runtime starts them."""
    return [org_tree_consumer(), requests_consumer(response_limit_seconds), members_consumer()]
