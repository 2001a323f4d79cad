"""Use cases of a request's life: intake, every handling action, feedback, tracking."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from uuid6 import uuid7

from grassroots.contracts.area import county_of
from grassroots.contracts.events.notify import ContactUpserted
from grassroots.kit.auth import Principal
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.idempotency import AlreadyAnswered, IdempotentCall, StoredAnswer
from grassroots.kit.masking import mask_free_text
from grassroots.kit.orgtree import OrgUnitView, get_unit
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound
from grassroots.requests import metrics
from grassroots.requests.adapters import repository
from grassroots.requests.adapters.lookups import route_to_unit
from grassroots.requests.adapters.repository import find_item, get_item_by_id
from grassroots.requests.domain.clock import SetDue, details_of
from grassroots.requests.domain.duplicates import terms as duplicate_terms
from grassroots.requests.domain.durations import parse_limit
from grassroots.requests.domain.machine import Action, IllegalTransition, Status
from grassroots.requests.domain.request import (
    Change,
    RaisedEvent,
    Request,
    history_entry,
    raised,
)
from grassroots.requests.domain.tracking import new_tracking_code
from grassroots.requests.service.clock import clock_changes, replay_clock, start_clock
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.duplicates import propose_duplicates
from grassroots.requests.service.events import add_events, outbox_rows

log = logging.getLogger(__name__)


@dataclass
class Intake:
    """What a channel hands in for a new request."""

    service_code: str
    area_code: str
    description: str
    channel: str
    anonymous: bool = False
    citizen_name: str | None = None
    citizen_phone: str | None = None
    door_to_door: bool | None = None
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    address: str | None = None
    lat: str | None = None
    long: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    visit_id: str | None = None
    public_name_consent: bool = False
    media_url: str | None = None


def limit_for_tier(item: dict[str, Any], tier: str) -> timedelta:
    """The item's limit at a tier: its escalation limit there, by default its own limit."""
    text = (item.get("escalation_limits") or {}).get(tier) or item["time_limit"]
    return parse_limit(text)


def check_intake(ctx: RequestsContext, intake: Intake, item: dict[str, Any] | None) -> None:
    """Raise the problem that makes `intake` unacceptable for `item`, if any."""
    if item is None or not item["active"]:
        raise Invalid(
            "service_code", f"no service {intake.service_code} in this county's catalogue"
        )
    if intake.anonymous and not item["allow_anonymous"]:
        raise Invalid("anonymous", f"service {intake.service_code} cannot be asked anonymously")
    if not intake.anonymous and not (intake.citizen_name and intake.citizen_phone):
        raise Invalid("citizen", "name and phone are required unless the request is anonymous")
    if (
        intake.appointment_start
        and intake.appointment_end
        and intake.appointment_end <= intake.appointment_start
    ):
        raise Invalid("appointment.end", "must be after the start")


def check_scope(ctx: RequestsContext, intake: Intake) -> None:
    """403 when the area lies outside the counties this deployment serves."""
    prefix = ctx.settings.area_prefix
    if prefix and not intake.area_code.startswith(prefix):
        raise Forbidden(f"this deployment takes requests for {ctx.settings.area_filter} only")


@dataclass
class PreparedIntake:
    """A new request's row and every row its intake writes (request, history, outbox)."""

    row: dict[str, Any]
    writes: list[repository.Write]


def prepare_intake(
    ctx: RequestsContext,
    intake: Intake,
    item: dict[str, Any],
    unit: OrgUnitView,
    *,
    actor: str,
    now: datetime | None = None,
    description_terms: list[int] | None = None,
    duplicates: list[dict[str, Any]] | None = None,
) -> PreparedIntake:
    """Build the request routed to `unit`, its first history entry and its events."""
    now = now or utcnow()
    request_id = str(uuid7())
    clock, clock_details = start_clock(ctx, now, parse_limit(item["time_limit"]), item["calendar"])
    row: dict[str, Any] = {
        "id": request_id,
        "tracking_code": new_tracking_code(),
        "catalog_item_id": item["id"],
        "service_code": item["code"],
        "county_area": item["county_area"],
        "area_code": intake.area_code,
        "org_unit_id": unit.id,
        "org_area_code": unit.area_code,
        "org_tier": unit.tier,
        "status": Status.SUBMITTED.value,
        "version": 1,
        "channel": intake.channel,
        "description": intake.description,
        "anonymous": intake.anonymous,
        "citizen_name_enc": None
        if intake.anonymous
        else ctx.cipher.encrypt(intake.citizen_name, record_id=request_id, field="citizen_name"),
        "citizen_phone_enc": None
        if intake.anonymous
        else ctx.cipher.encrypt(intake.citizen_phone, record_id=request_id, field="citizen_phone"),
        "handler_member_id": None,
        "accepted_by": None,
        "received_at": now,
        "due_at": clock.due_at,
        "chase_at": clock.chase_at,
        "overdue_marked": False,
        "escalations": 0,
        "door_to_door": bool(
            item["door_to_door"] if intake.door_to_door is None else intake.door_to_door
        ),
        "appointment_start": intake.appointment_start,
        "appointment_end": intake.appointment_end,
        "address": intake.address,
        "lat": intake.lat,
        "long": intake.long,
        "attributes": intake.attributes,
        "visit_id": intake.visit_id,
        "updated_at": now,
        "open_co_tasks": 0,
        "extensions": 0,
        "description_terms": description_terms,
        "duplicates": duplicates or None,
        "merged_into": None,
        "merged_from_status": None,
        "media_url": intake.media_url,
        **dict.fromkeys(
            (
                "accepted_at",
                "resolved_at",
                "closed_at",
                "explanation",
                "expected_by",
                "resolution",
                "rating",
                "feedback_comment",
                "paused_from",
                "paused_until",
                "dispatcher_unit_id",
                "dispatched_at",
                "sign_by",
                "returned_at",
                "chased_at",
                "overdue_at",
                "supervised_at",
            )
        ),
    }
    events = [
        raised(
            "submit",
            row,
            occurred_at=now,
            actor=actor,
            channel=intake.channel,
            received_at=now,
            anonymous=intake.anonymous,
            public_description=mask_free_text(intake.description, [intake.citizen_name])[:2000],
        )
    ]
    if not intake.anonymous:
        # Contact details travel only on gr.notify.v1.> to the notifications service.
        contact = ContactUpserted(
            recipient_id=f"citizen:{row['id']}",
            recipient_kind="citizen",
            name=intake.citizen_name,
            phone=intake.citizen_phone,
            org_unit_id=unit.id,
            request_id=row["id"],
            tracking_code=row["tracking_code"],
            public_name_consent=intake.public_name_consent,
        )
        events.append(RaisedEvent(contact, unit.area_code, row["id"], actor))
    first_entry = history_entry(row, "submit", None, actor, now, note=None, details=clock_details)
    writes = [
        *repository.new_request_rows(row, first_entry),
        *outbox_rows(ctx.runtime.outbox, events),
    ]
    return PreparedIntake(row, writes)


async def take_in(
    ctx: RequestsContext,
    session: AsyncSession,
    intake: Intake,
    *,
    actor: str,
) -> dict[str, Any]:
    """Create a request inside `session` (a visit's problems join the visit's transaction)."""
    check_scope(ctx, intake)
    item = await find_item(session, county_of(intake.area_code), intake.service_code)
    check_intake(ctx, intake, item)
    assert item is not None
    unit = await route_to_unit(session, intake.area_code, item["handling_tier"])
    prepared = prepare_intake(
        ctx, intake, item, unit, actor=actor, description_terms=duplicate_terms(intake.description)
    )
    await repository.insert_rows(session, prepared.writes)
    metrics.INTAKE.labels(intake.channel).inc()
    return prepared.row


async def submit_request(
    ctx: RequestsContext,
    intake: Intake,
    *,
    actor: str,
    idempotent: tuple[IdempotentCall, Callable[[dict[str, Any]], StoredAnswer]] | None = None,
) -> dict[str, Any]:
    """Take in one request on its own (retrying a tracking-code collision).

    Concurrent intakes share transactions (group commit); each returns once its own rows are
    committed, and a failure in a shared batch is retried alone before anyone sees it. With
    `idempotent` (the call and how to answer it) the answer commits with the request; a retry
    that loses the race to store it raises AlreadyAnswered with the first answer.
    """
    check_scope(ctx, intake)
    item = await ctx.lookups.item(county_of(intake.area_code), intake.service_code)
    check_intake(ctx, intake, item)
    assert item is not None
    unit = await ctx.lookups.route(intake.area_code, item["handling_tier"])
    now = utcnow()
    terms = duplicate_terms(intake.description)
    found = await propose_duplicates(ctx, intake.area_code, item["code"], terms, now)
    for _attempt in range(3):
        prepared = prepare_intake(
            ctx,
            intake,
            item,
            unit,
            actor=actor,
            now=now,
            description_terms=terms,
            duplicates=found,
        )
        writes = list(prepared.writes)
        if idempotent is not None:
            call, answer = idempotent
            writes.append(ctx.idempotency.row(call, answer(prepared.row)))
        try:
            await repository.write_grouped(ctx.intake_writer, writes)
        except repository.AlreadyStored:
            if idempotent is not None:
                first = await ctx.idempotency.find(idempotent[0])
                if first is not None:
                    raise AlreadyAnswered(first) from None
            log.warning("tracking code collision; drawing a new one")
            continue
        metrics.INTAKE.labels(intake.channel).inc()
        return prepared.row
    raise Conflict("could not draw a unique tracking code; try again")


async def load_for_update(session: AsyncSession, request_id: str) -> dict[str, Any]:
    """The request's row, locked on PostgreSQL until the transaction ends; 404 if unknown."""
    req = await repository.get_for_update(session, request_id)
    if req is None:
        raise NotFound(f"no request {request_id}")
    return req.row


async def apply_transition(
    ctx: RequestsContext,
    session: AsyncSession,
    row: dict[str, Any],
    action: Action,
    *,
    actor: str,
    note: str | None = None,
    changes: dict[str, Any] | None = None,
    handler_member_id: str | None = None,
    event_action: str | None = None,
    event_extra: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    history_action: str | None = None,
    now: datetime | None = None,
    restore: Status | None = None,
) -> dict[str, Any]:
    """Apply `action` to `row` via the state machine; write, record history and emit its event."""
    now = now or utcnow()
    req = Request(row)
    change = Change(
        note=note,
        values=changes,
        details=details,
        event_extra=event_extra,
        event_action=event_action,
        history_action=history_action,
    )
    try:
        req.transition(
            action,
            actor=actor,
            at=now,
            change=change,
            handler_member_id=handler_member_id,
            restore=restore,
        )
    except IllegalTransition as exc:
        raise Conflict(
            str(exc), type_="https://grassroots.example.org/problems/illegal-transition"
        ) from exc
    if not await repository.save(session, req):
        raise Conflict(f"request {row['id']} changed meanwhile; reload and retry")
    await add_events(ctx.runtime.outbox, session, req.pull_events())
    metrics.TRANSITIONS.labels(action.value).inc()
    return req.row


def require_holder_scope(principal: Principal, row: dict[str, Any]) -> None:
    if not principal.covers(row["org_area_code"]):
        raise Forbidden(
            f"request {row['id']} is held by a unit outside this token's scope ({principal.org})"
        )


async def perform(
    ctx: RequestsContext,
    request_id: str,
    action: Action,
    principal: Principal,
    params: dict[str, Any],
) -> dict[str, Any]:
    """Run one cadre action on a request in one transaction."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        require_holder_scope(principal, row)
        actor = principal.sub
        if action is Action.START:
            principal.require_role("member")
            return await _start(ctx, session, row, principal)
        # The named handler (a party member paired with the need, say) carries the work to its
        # end without a cadre's role; everything else is cadres' business.
        is_handler = row["handler_member_id"] is not None and row["handler_member_id"] == actor
        if not (is_handler and action in HANDLER_ACTIONS):
            principal.require_role("cadre")
        now = utcnow()
        if action is Action.ACCEPT:
            changes: dict[str, Any] = {"accepted_by": actor}
            if row["accepted_at"] is None:
                changes["accepted_at"] = now
                metrics.TIME_TO_ACCEPT.observe((now - as_utc(row["received_at"])).total_seconds())
            return await apply_transition(
                ctx, session, row, action, actor=actor, changes=changes, now=now
            )
        if action is Action.ASSIGN:
            handler = params["handler_member_id"]
            return await apply_transition(
                ctx,
                session,
                row,
                action,
                actor=actor,
                handler_member_id=handler,
                note=f"handler {handler}",
                now=now,
            )
        if action is Action.ESCALATE:
            return await escalate(
                ctx, session, row, actor=actor, reason=params["reason"], cause="manual", now=now
            )
        if action is Action.EXPLAIN:
            expected_by: datetime = params["expected_by"]
            if expected_by <= now:
                raise Invalid("expected_by", "must be in the future")
            promise = SetDue(now, expected_by)
            clock = await replay_clock(ctx, session, row["id"], promise)
            return await apply_transition(
                ctx,
                session,
                row,
                action,
                actor=actor,
                note=params["explanation"],
                changes={
                    "explanation": params["explanation"],
                    "expected_by": expected_by,
                    # The promise to the citizen becomes the new deadline the scanner watches.
                    **(
                        clock_changes(clock, now)
                        or {"due_at": expected_by, "overdue_marked": False}
                    ),
                },
                event_extra={"expected_by": expected_by},
                details=details_of(promise),
                now=now,
            )
        if action is Action.RESOLVE:
            metrics.TIME_TO_RESOLVE.observe((now - as_utc(row["received_at"])).total_seconds())
            return await apply_transition(
                ctx,
                session,
                row,
                action,
                actor=actor,
                note=params["resolution"],
                changes={"resolution": params["resolution"], "resolved_at": now},
                now=now,
            )
        if action is Action.REOPEN:
            return await reopen(
                ctx, session, row, actor=actor, reason=params.get("reason"), now=now
            )
        if action is Action.CLOSE:
            return await apply_transition(
                ctx,
                session,
                row,
                action,
                actor=actor,
                note=params.get("reason"),
                changes={"closed_at": now},
                now=now,
            )
        raise Invalid("action", f"{action.value} is not a cadre action")


HANDLER_ACTIONS = frozenset({Action.RESOLVE, Action.EXPLAIN, Action.ESCALATE})


async def _start(
    ctx: RequestsContext, session: AsyncSession, row: dict[str, Any], principal: Principal
) -> dict[str, Any]:
    """Start work: the assigned handler, or the cadre who accepted it (who becomes the handler)."""
    status = Status(row["status"])
    is_handler = row["handler_member_id"] is not None and row["handler_member_id"] == principal.sub
    is_acceptor = status is Status.ACCEPTED and row["accepted_by"] == principal.sub
    if status in (Status.ASSIGNED, Status.EXPLAINED) and not is_handler:
        raise Forbidden("only the assigned handler may start this request")
    if status is Status.ACCEPTED and not (is_acceptor or is_handler):
        raise Forbidden("only the cadre who accepted the request may start it unassigned")
    return await apply_transition(
        ctx, session, row, Action.START, actor=principal.sub, handler_member_id=principal.sub
    )


async def escalate(
    ctx: RequestsContext,
    session: AsyncSession,
    row: dict[str, Any],
    *,
    actor: str,
    reason: str,
    cause: str,
    now: datetime,
    cache: dict[tuple[str, str], Any] | None = None,
) -> dict[str, Any]:
    """Move the request to the parent unit with a new due time on the item's calendar."""
    lookups = cache if cache is not None else {}
    unit = await _cached(
        lookups, ("unit", row["org_unit_id"]), get_unit(session, row["org_unit_id"])
    )
    parent = None
    if unit is not None and unit.parent_id:
        parent = await _cached(lookups, ("unit", unit.parent_id), get_unit(session, unit.parent_id))
    if parent is None:
        raise Conflict(f"unit {row['org_unit_id']} has no unit above to escalate to")
    item_id = row["catalog_item_id"]
    item = await _cached(lookups, ("item", item_id), get_item_by_id(session, item_id))
    clock, clock_details = start_clock(
        ctx, now, limit_for_tier(item, parent.tier), item["calendar"]
    )
    metrics.ESCALATIONS.labels(cause, row["org_tier"]).inc()
    return await apply_transition(
        ctx,
        session,
        row,
        Action.ESCALATE,
        actor=actor,
        note=reason,
        changes={
            "org_unit_id": parent.id,
            "org_area_code": parent.area_code,
            "org_tier": parent.tier,
            **clock_changes(clock, now),
            "escalations": row["escalations"] + 1,
            "accepted_by": None,
        },
        event_extra={"from_org_unit_id": row["org_unit_id"], "cause": cause},
        details=clock_details,
        now=now,
    )


async def _cached(cache: dict[tuple[str, str], Any], key: tuple[str, str], lookup: Any) -> Any:
    """Await `lookup` unless `cache` has the answer (the scanner shares one per scan)."""
    if key in cache:
        lookup.close()
        return cache[key]
    cache[key] = await lookup
    return cache[key]


async def reopen(
    ctx: RequestsContext,
    session: AsyncSession,
    row: dict[str, Any],
    *,
    actor: str,
    reason: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Reopen with a fresh limit at the holding unit's tier."""
    item = await get_item_by_id(session, row["catalog_item_id"])
    clock, clock_details = start_clock(
        ctx, now, limit_for_tier(item, row["org_tier"]), item["calendar"]
    )
    return await apply_transition(
        ctx,
        session,
        row,
        Action.REOPEN,
        actor=actor,
        note=reason,
        details=clock_details,
        changes={
            **clock_changes(clock, now),
            "rating": None,
            "feedback_comment": None,
            "resolved_at": None,
            "closed_at": None,
        },
        now=now,
    )


async def give_feedback(
    ctx: RequestsContext,
    tracking_code: str,
    phone_last4: str | None,
    rating: str,
    comment: str | None,
) -> dict[str, Any]:
    """The citizen rates the result; an unsatisfied rating reopens the request."""
    async with ctx.db.transaction() as session:
        found = await repository.request_id_by_tracking_code(session, tracking_code)
        if found is None:
            raise NotFound("no request with this tracking code")
        row = await load_for_update(session, found)
        if not row["anonymous"]:
            phone = (
                ctx.cipher.decrypt(
                    row["citizen_phone_enc"], record_id=row["id"], field="citizen_phone"
                )
                or ""
            )
            if not phone_last4 or phone[-4:] != phone_last4:
                # Same answer as an unknown code: the pair proves it is the citizen.
                raise NotFound("no request with this tracking code and phone")
        now = utcnow()
        row = await apply_transition(
            ctx,
            session,
            row,
            Action.FEEDBACK,
            actor="citizen",
            note=comment,
            changes={"rating": rating, "feedback_comment": comment},
            event_extra={"rating": rating},
            now=now,
        )
        if rating == "unsatisfied":
            row = await reopen(
                ctx, session, row, actor="citizen", reason="unsatisfied rating", now=now
            )
        return row


async def get_request(
    ctx: RequestsContext, request_id: str, principal: Principal
) -> dict[str, Any]:
    """A request the caller may see."""
    async with ctx.db.read_only() as session:
        data = await repository.find_request(session, request_id)
    if data is None:
        raise NotFound(f"no request {request_id}")
    require_holder_scope(principal, data)
    return data


async def history_of(session: AsyncSession, request_id: str) -> list[dict[str, Any]]:
    """The request's audit trail, oldest first."""
    return await repository.history_of(session, request_id)


async def find_by_tracking_code(
    ctx: RequestsContext, code: str
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Request, history and catalogue item for a tracking code; 404 if unknown."""
    async with ctx.db.read_only() as session:
        data = await repository.find_by_tracking_code(session, code)
        if data is None:
            raise NotFound("no request with this tracking code")
        return (
            data,
            await history_of(session, data["id"]),
            await get_item_by_id(session, data["catalog_item_id"]),
        )


async def record_step(
    ctx: RequestsContext,
    session: AsyncSession,
    row: dict[str, Any],
    action: str,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    changes: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    **event_extra: Any,
) -> dict[str, Any] | None:
    """A step that keeps the status (a reminder, an extension, a helper task): the version
    grows, history and event are written; None when the request changed meanwhile."""
    req = Request(row)
    req.record(
        action,
        actor=actor,
        at=now,
        change=Change(note=note, values=changes, details=details, event_extra=event_extra),
    )
    if not await repository.save(session, req):
        return None
    await add_events(ctx.runtime.outbox, session, req.pull_events())
    return req.row


async def record_step_or_conflict(
    ctx: RequestsContext,
    session: AsyncSession,
    row: dict[str, Any],
    action: str,
    **kwargs: Any,
) -> dict[str, Any]:
    """`record_step` for a caller's action: a concurrent change is a 409."""
    new_row = await record_step(ctx, session, row, action, **kwargs)
    if new_row is None:
        raise Conflict(f"request {row['id']} changed meanwhile; reload and retry")
    return new_row
