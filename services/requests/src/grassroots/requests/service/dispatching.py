"""Dispatch and return (派单, 退单) and waiting for the citizen (the SLA pause)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from grassroots.contracts.area import county_of, is_within
from grassroots.kit.auth import Principal
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.orgtree import OrgUnitView, get_unit
from grassroots.kit.problems import Conflict, Invalid
from grassroots.requests.adapters import repository
from grassroots.requests.domain.clock import (
    Pause,
    Refund,
    Resume,
    add_working_time,
    details_of,
)
from grassroots.requests.domain.machine import Action, Status
from grassroots.requests.service.clock import clock_changes, replay_clock
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.handling import (
    apply_transition,
    load_for_update,
    require_holder_scope,
)

SYSTEM = "system:sla-scanner"


async def _unit(session: AsyncSession, unit_id: str, field: str) -> OrgUnitView:
    unit = await get_unit(session, unit_id)
    if unit is None:
        raise Invalid(field, f"no organisation unit {unit_id}")
    return unit


def _moved_to(unit: OrgUnitView) -> dict[str, Any]:
    return {"org_unit_id": unit.id, "org_area_code": unit.area_code, "org_tier": unit.tier}


async def dispatch_request(
    ctx: RequestsContext,
    request_id: str,
    principal: Principal,
    org_unit_id: str,
    reason: str,
) -> dict[str, Any]:
    """Hand the request to a unit below the holder or to a department's unit (派单)."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        require_holder_scope(principal, row)
        principal.require_role("cadre")
        holder = await _unit(session, row["org_unit_id"], "org_unit_id")
        target = await _unit(session, org_unit_id, "org_unit_id")
        below = target.id != holder.id and is_within(target.area_code, holder.area_code)
        # Functional departments (organ-domain units) of the same county take dispatches too.
        department = target.domain == "organ" and county_of(target.area_code) == county_of(
            holder.area_code
        )
        if not (below or department):
            raise Invalid(
                "org_unit_id",
                "must be a unit below the holding unit or a department's unit of its county",
            )
        now = utcnow()
        sign_by = add_working_time(
            now, timedelta(hours=ctx.settings.requests_sign_for_hours), "workdays", ctx.calendar
        )
        return await apply_transition(
            ctx,
            session,
            row,
            Action.DISPATCH,
            actor=principal.sub,
            note=reason,
            changes={
                **_moved_to(target),
                "dispatcher_unit_id": holder.id,
                "dispatched_at": now,
                "sign_by": sign_by,
                "returned_at": None,
                "accepted_by": None,
            },
            event_extra={"from_org_unit_id": holder.id, "sign_by": sign_by},
            now=now,
        )


ReturnReason = Literal["wrong_area", "not_our_duty", "unclear", "duplicate"]


async def return_request(
    ctx: RequestsContext,
    request_id: str,
    principal: Principal,
    reason: ReturnReason,
    note: str | None,
) -> dict[str, Any]:
    """The receiving unit sends a dispatched request back before signing for it (退单)."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        require_holder_scope(principal, row)
        principal.require_role("cadre")
        now = utcnow()
        if Status(row["status"]) is Status.DISPATCHED and now > as_utc(row["sign_by"]):
            raise Conflict(
                "the time to return this request ended at "
                f"{as_utc(row['sign_by']).isoformat()}; it counts as signed for",
                type_="https://grassroots.example.org/problems/illegal-transition",
            )
        dispatcher_id = row["dispatcher_unit_id"]
        dispatcher = await get_unit(session, dispatcher_id) if dispatcher_id else None
        if dispatcher is None and Status(row["status"]) is Status.DISPATCHED:
            raise Conflict(f"request {request_id} has no dispatcher to return it to")
        changes = {**_moved_to(dispatcher), "returned_at": now} if dispatcher else {}
        return await apply_transition(
            ctx,
            session,
            row,
            Action.RETURN,
            actor=principal.sub,
            note=f"{reason}: {note}" if note else reason,
            changes=changes,
            event_extra={"returning_org_unit_id": row["org_unit_id"], "reason": reason},
            details={"returning_org_unit_id": row["org_unit_id"], "reason": reason},
            now=now,
        )


async def _returning_unit(session: AsyncSession, request_id: str) -> str:
    details = await repository.last_details(session, request_id, Action.RETURN.value)
    if not details:
        raise Conflict(f"request {request_id} was not returned")
    return str(details["returning_org_unit_id"])


async def decide_return(
    ctx: RequestsContext,
    request_id: str,
    principal: Principal,
    decision: Literal["upheld", "rejected"],
    note: str | None,
) -> dict[str, Any]:
    """The dispatcher keeps a returned request (upheld) or sends it back (rejected)."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        require_holder_scope(principal, row)
        principal.require_role("cadre")
        if Status(row["status"]) is not Status.RETURNED:
            raise Conflict(
                f"cannot decide a return on a request that is {row['status']}",
                type_="https://grassroots.example.org/problems/illegal-transition",
            )
        returning_id = await _returning_unit(session, request_id)
        now = utcnow()
        extra = {"returning_org_unit_id": returning_id, "decision": decision}
        if decision == "upheld":
            # The returning unit held it by mistake: that time does not count against anyone.
            refund = Refund(
                now, held_from=as_utc(row["dispatched_at"]), held_to=as_utc(row["returned_at"])
            )
            clock = await replay_clock(ctx, session, request_id, refund)
            return await apply_transition(
                ctx,
                session,
                row,
                Action.UPHOLD_RETURN,
                actor=principal.sub,
                note=note,
                changes={"accepted_by": principal.sub, **clock_changes(clock, now)},
                event_extra=extra,
                details=details_of(refund),
                now=now,
            )
        # Rejected: back to the returning unit as signed for; its clock ran all along.
        returning = await _unit(session, returning_id, "decision")
        changes: dict[str, Any] = {**_moved_to(returning), "accepted_by": None}
        if row["accepted_at"] is None:
            changes["accepted_at"] = now
        return await apply_transition(
            ctx,
            session,
            row,
            Action.REJECT_RETURN,
            actor=principal.sub,
            note=note,
            changes=changes,
            event_extra=extra,
            now=now,
        )


async def wait_for_citizen(
    ctx: RequestsContext, request_id: str, principal: Principal, reason: str
) -> dict[str, Any]:
    """Stop the clock while waiting for the citizen (materials, unreachable)."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        require_holder_scope(principal, row)
        is_handler = row["handler_member_id"] is not None and row["handler_member_id"] == (
            principal.sub
        )
        if not is_handler:
            principal.require_role("cadre")
        now = utcnow()
        until = add_working_time(
            now, timedelta(days=ctx.settings.requests_max_wait_days), "workdays", ctx.calendar
        )
        pause = Pause(now)
        return await apply_transition(
            ctx,
            session,
            row,
            Action.WAIT,
            actor=principal.sub,
            note=reason,
            changes={"paused_until": until},
            event_extra={"wait_until": until},
            details=details_of(pause),
            now=now,
        )


async def resume(
    ctx: RequestsContext,
    session: AsyncSession,
    row: dict[str, Any],
    *,
    actor: str,
    cause: Literal["citizen", "cadre", "timeout"],
    now: datetime,
) -> dict[str, Any]:
    """Run the clock again with the time that was left when it stopped."""
    again = Resume(now)
    clock = await replay_clock(ctx, session, row["id"], again)
    return await apply_transition(
        ctx,
        session,
        row,
        Action.RESUME,
        actor=actor,
        note=cause,
        changes={"paused_until": None, **clock_changes(clock, now)},
        event_extra={"cause": cause},
        details=details_of(again),
        now=now,
    )


async def resume_request(
    ctx: RequestsContext, request_id: str, principal: Principal
) -> dict[str, Any]:
    """A cadre (or the handler) resumes a waiting request."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        require_holder_scope(principal, row)
        if row["handler_member_id"] != principal.sub:
            principal.require_role("cadre")
        return await resume(ctx, session, row, actor=principal.sub, cause="cadre", now=utcnow())


async def resume_expired_waits(ctx: RequestsContext, now: datetime | None = None) -> int:
    """Resume every request whose maximum wait for the citizen has passed."""
    now = now or utcnow()
    async with ctx.db.transaction() as session:
        rows = await repository.claim_expired_waits(
            session,
            now=now,
            area_prefix=ctx.settings.area_prefix,
            limit=ctx.settings.requests_sla_scan_batch,
        )
        for row in rows:
            await resume(ctx, session, row, actor=SYSTEM, cause="timeout", now=now)
    return len(rows)
