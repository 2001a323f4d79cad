"""Every NATS consumer of the requests service, as one table (`subscribers`).

- `org_tree` (the kit's): org units created and updated on `GR_MEMBERS`, into the tree replica;
  each applied change also empties the intake's route cache once it commits;
- `members_replica`: members registered, updated, transferred and exited on `GR_MEMBERS`, into
  the members replica that matching reads (`service.members`).

Each event is one transaction, claimed in the inbox with its effect (the kit's consumer runtime).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import (
    MemberExited,
    MemberRegistered,
    MemberTransferred,
    MemberUpdated,
)
from grassroots.contracts.streams import MEMBERS
from grassroots.kit.db import AsyncSession
from grassroots.kit.messaging import AnyConsumerSpec, ConsumerSpec, EventHandler
from grassroots.kit.orgtree import org_tree_consumer
from grassroots.requests.service import members

M = TypeVar("M", bound=BaseModel)


def _validated(
    model: type[M], use_case: Callable[[AsyncSession, M], Awaitable[None]]
) -> EventHandler:
    """A handler that validates the event's data as `model` and hands it to `use_case`."""

    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        await use_case(session, model.model_validate(event.data))

    return handle


async def apply_member_state(session: AsyncSession, event: CloudEvent) -> None:
    """A registered or updated member's public state."""
    model = MemberUpdated if event.type == MemberUpdated.event_type() else MemberRegistered
    await members.record_member_state(session, model.model_validate(event.data))


apply_member_transferred = _validated(MemberTransferred, members.record_member_transfer)
apply_member_exited = _validated(MemberExited, members.record_member_exit)

MEMBER_HANDLERS: dict[str, EventHandler] = {
    MemberRegistered.event_type(): apply_member_state,
    MemberUpdated.event_type(): apply_member_state,
    MemberTransferred.event_type(): apply_member_transferred,
    MemberExited.event_type(): apply_member_exited,
}


def members_consumer() -> ConsumerSpec:
    """The consumer keeping the members replica."""
    return ConsumerSpec(name="members_replica", stream=MEMBERS, handlers=dict(MEMBER_HANDLERS))


def org_tree_marking_stale(mark_stale: Callable[[], None]) -> ConsumerSpec:
    """The kit's org-tree consumer, each applied change also calling `mark_stale`."""
    spec = org_tree_consumer()
    for event_type, handler in list(spec.handlers.items()):
        spec.handlers[event_type] = _marking_stale(handler, mark_stale)
    return spec


def _marking_stale(handler: EventHandler, mark_stale: Callable[[], None]) -> EventHandler:
    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        await handler(session, event)
        mark_stale()

    return apply


def subscribers(mark_routes_stale: Callable[[], None]) -> list[AnyConsumerSpec]:
    """The consumers of the table above, as the runtime starts them.

    `mark_routes_stale` empties the intake's route cache after the org tree's change commits.
    """
    return [org_tree_marking_stale(mark_routes_stale), members_consumer()]
