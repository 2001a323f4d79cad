"""Every NATS consumer of the notifications service, as one table (`subscribers`).

- `contacts` on `GR_NOTIFY`: contact details upserted or erased (`service/recipients.py`);
- `members` on `GR_MEMBERS`: the org tree (the kit's `apply_org_unit`), the member replica
  (`service/recipients.py`), check-ins, claimed posts and commitments on the public board
  (`service/board.py`), transfer notices by the rules (`service/rules.py`);
- `requests` on `GR_REQUESTS`: every request event, by the rules;
- `evaluation` on `GR_EVALUATION`: published rankings and results, on the board and by the rules.

Every event of `members`, `requests` and `evaluation` is also queued for the matching webhook
subscriptions (`service/webhooks.py`). Each handler receives the session of its event's
transaction (the kit's consumer commits it with the inbox claim) and validates the event's data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import evaluation as ev
from grassroots.contracts.events import members as mem
from grassroots.contracts.events import notify
from grassroots.contracts.events.base import REGISTRY
from grassroots.contracts.streams import EVALUATION, MEMBERS, NOTIFY, REQUESTS, StreamSpec
from grassroots.kit.db import AsyncSession
from grassroots.kit.messaging import ConsumerSpec
from grassroots.kit.orgtree import apply_org_unit
from grassroots.notifications.service import board, recipients, rules, webhooks
from grassroots.notifications.service.deps import Deps

Handler = Callable[[AsyncSession, Deps, CloudEvent], Awaitable[None]]


async def on_contact_upserted(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """Contact details of a citizen or member arrived."""
    await recipients.record_contact(
        session, deps, notify.ContactUpserted.model_validate(event.data)
    )


async def on_contact_erased(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """A recipient asked to be forgotten."""
    await recipients.erase_contact(session, deps, notify.ContactErased.model_validate(event.data))


async def on_org_unit(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """A unit was created or changed: the tree replica follows."""
    await apply_org_unit(session, event)


async def on_member_registered(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """A member registered or changed: the member replica follows."""
    model = mem.MemberUpdated if event.type == mem.MemberUpdated.event_type() else None
    data = (model or mem.MemberRegistered).model_validate(event.data)
    await recipients.record_member(session, data)


async def on_member_transferred(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """A member moved to another unit."""
    await recipients.move_member(session, mem.MemberTransferred.model_validate(event.data))


async def on_member_exited(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """A member left."""
    await recipients.retire_member(session, mem.MemberExited.model_validate(event.data))


async def on_checked_in(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """A member checked in at a community."""
    await board.post_check_in(session, event, mem.MemberCheckedIn.model_validate(event.data))


async def on_post_claimed(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """A member claimed a service post."""
    await board.post_claimed_post(session, event, mem.PostClaimed.model_validate(event.data))


async def on_commitment(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """A member published a commitment."""
    data = mem.CommitmentPublished.model_validate(event.data)
    await board.post_commitment(session, event, data)


async def on_evaluation_published(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """Rankings or results were published."""
    data = ev.EvaluationPublished.model_validate(event.data)
    await board.publish_evaluation(session, deps, event, data)


async def on_ruled_event(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """An event the notification rules may address (validated against its contract there)."""
    await rules.notify_by_rules(session, deps, event)


def _types(prefix: str) -> list[str]:
    return [event_type for event_type in REGISTRY if event_type.startswith(prefix)]


# The members stream: a handler per event type; None: only the webhooks hear of it.
MEMBER_HANDLERS: dict[str, Handler | None] = {
    mem.OrgUnitCreated.event_type(): on_org_unit,
    mem.OrgUnitUpdated.event_type(): on_org_unit,
    mem.MemberRegistered.event_type(): on_member_registered,
    mem.MemberUpdated.event_type(): on_member_registered,
    mem.MemberTransferred.event_type(): on_member_transferred,
    mem.MemberExited.event_type(): on_member_exited,
    mem.MemberCheckedIn.event_type(): on_checked_in,
    mem.PostClaimed.event_type(): on_post_claimed,
    mem.CommitmentPublished.event_type(): on_commitment,
    mem.TransferStatusChanged.event_type(): on_ruled_event,
}
# consumer name -> (stream, {event type: handler}, whether webhooks hear of its events too).
TABLE: dict[str, tuple[StreamSpec, dict[str, Handler | None], bool]] = {
    "contacts": (
        NOTIFY,
        {
            notify.ContactUpserted.event_type(): on_contact_upserted,
            notify.ContactErased.event_type(): on_contact_erased,
        },
        False,
    ),
    "members": (
        MEMBERS,
        MEMBER_HANDLERS | {t: None for t in _types("gr.members.") if t not in MEMBER_HANDLERS},
        True,
    ),
    "requests": (REQUESTS, dict.fromkeys(_types("gr.requests."), on_ruled_event), True),
    "evaluation": (
        EVALUATION,
        {ev.EvaluationPublished.event_type(): on_evaluation_published},
        True,
    ),
}


def _bound(
    deps: Deps, handler: Handler | None, queue_webhooks: bool
) -> Callable[[AsyncSession, CloudEvent], Awaitable[None]]:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        if handler is not None:
            await handler(session, deps, event)
        if queue_webhooks:
            await webhooks.queue_webhooks(session, deps, event)

    return handle


def subscribers(deps: Deps) -> list[ConsumerSpec]:
    """The consumers of the table above, as the runtime starts them."""
    specs = []
    for name, (stream, handlers, queue_webhooks) in TABLE.items():
        spec = ConsumerSpec(name, stream)
        for event_type, handler in handlers.items():
            spec.handlers[event_type] = _bound(deps, handler, queue_webhooks)
        specs.append(spec)
    return specs
