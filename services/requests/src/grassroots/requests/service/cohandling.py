"""Co-handling (吹哨报到, 协办), extensions (延期) and callbacks (回访) of a request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uuid6 import uuid7

from grassroots.contracts.area import area_tier, county_of
from grassroots.kit.auth import Principal
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.orgtree import get_unit
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound
from grassroots.requests.adapters import repository
from grassroots.requests.domain.clock import SetDue, details_of
from grassroots.requests.domain.machine import OPEN_STATUSES, Action, Status
from grassroots.requests.service.clock import clock_changes, replay_clock
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.handling import (
    apply_transition,
    load_for_update,
    record_step_or_conflict,
    reopen,
    require_holder_scope,
)

ILLEGAL = "https://grassroots.example.org/problems/illegal-transition"
# A lead calls in helpers on what it works on itself, not on what it handed on or got back.
_LEAD_STATUSES = frozenset(
    {Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.EXPLAINED, Status.WAITING}
)


def _require_lead(principal: Principal, row: dict[str, Any]) -> None:
    require_holder_scope(principal, row)
    if row["handler_member_id"] != principal.sub:
        principal.require_role("cadre")


async def _task_for_update(session: AsyncSession, request_id: str, task_id: str) -> dict[str, Any]:
    task = await repository.co_task_for_update(session, request_id, task_id)
    if task is None:
        raise NotFound(f"no helper task {task_id} on request {request_id}")
    return task


async def add_co_handler(
    ctx: RequestsContext,
    request_id: str,
    principal: Principal,
    org_unit_id: str,
    task: str,
    due_at: datetime,
) -> dict[str, Any]:
    """The lead unit calls in a helper unit with a task and its own due time."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        _require_lead(principal, row)
        if Status(row["status"]) not in _LEAD_STATUSES:
            raise Conflict(
                f"cannot call in helpers on a request that is {row['status']}", type_=ILLEGAL
            )
        helper = await get_unit(session, org_unit_id)
        if helper is None:
            raise Invalid("org_unit_id", f"no organisation unit {org_unit_id}")
        if helper.id == row["org_unit_id"] or county_of(helper.area_code) != row["county_area"]:
            raise Invalid("org_unit_id", "must be another unit of the request's county")
        now = utcnow()
        if due_at <= now:
            raise Invalid("due_at", "must be in the future")
        task_id = str(uuid7())
        await repository.add_co_task(
            session,
            {
                "id": task_id,
                "request_id": request_id,
                "org_unit_id": helper.id,
                "org_area_code": helper.area_code,
                "task": task,
                "due_at": due_at,
                "status": "open",
                "created_by": principal.sub,
                "created_at": now,
            },
        )
        await record_step_or_conflict(
            ctx,
            session,
            row,
            "co_handler_added",
            actor=principal.sub,
            now=now,
            note=task,
            changes={"open_co_tasks": row["open_co_tasks"] + 1},
            task_id=task_id,
            helper_org_unit_id=helper.id,
            task_due_at=due_at,
        )
        return await _task_for_update(session, request_id, task_id)


async def end_co_task(
    ctx: RequestsContext,
    request_id: str,
    task_id: str,
    principal: Principal,
    note: str,
    *,
    by_lead: bool,
) -> dict[str, Any]:
    """The helper reports its task done, or the lead closes it with a reason."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        task = await _task_for_update(session, request_id, task_id)
        if by_lead:
            _require_lead(principal, row)
        else:
            principal.require_role("cadre")
            principal.require_area(task["org_area_code"])
        if task["status"] != "open":
            raise Conflict(f"helper task {task_id} is already {task['status']}", type_=ILLEGAL)
        now = utcnow()
        outcome = "closed" if by_lead else "done"
        await repository.change_co_task(
            session,
            task_id,
            {"status": outcome, "note": note, "done_by": principal.sub, "done_at": now},
        )
        await record_step_or_conflict(
            ctx,
            session,
            row,
            "co_task_done",
            actor=principal.sub,
            now=now,
            note=note,
            changes={"open_co_tasks": max(0, row["open_co_tasks"] - 1)},
            task_id=task_id,
            helper_org_unit_id=task["org_unit_id"],
            outcome=outcome,
            on_time=now <= as_utc(task["due_at"]),
        )
        return await _task_for_update(session, request_id, task_id)


async def score_co_task(
    ctx: RequestsContext, request_id: str, task_id: str, principal: Principal, score: int
) -> dict[str, Any]:
    """The lead scores a helper's response (1–5), once the task ended."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        _require_lead(principal, row)
        task = await _task_for_update(session, request_id, task_id)
        if task["status"] == "open":
            raise Conflict(f"helper task {task_id} is still open", type_=ILLEGAL)
        if task["score"] is not None:
            raise Conflict(f"helper task {task_id} was already scored")
        now = utcnow()
        await repository.change_co_task(session, task_id, {"score": score})
        await record_step_or_conflict(
            ctx,
            session,
            row,
            "co_task_scored",
            actor=principal.sub,
            now=now,
            note=str(score),
            task_id=task_id,
            helper_org_unit_id=task["org_unit_id"],
            score=score,
        )
        return await _task_for_update(session, request_id, task_id)


async def list_co_tasks(
    ctx: RequestsContext, request_id: str, principal: Principal
) -> list[dict[str, Any]]:
    """The helper tasks of a request: all of them to its holder, their own to helper units."""
    principal.require_role("member")
    async with ctx.db.read_only() as session:
        holder_area = await repository.holder_area_of(session, request_id)
        if holder_area is None:
            raise NotFound(f"no request {request_id}")
        rows = await repository.co_tasks_of(session, request_id)
    if principal.covers(holder_area):
        return rows
    own = [r for r in rows if principal.covers(r["org_area_code"])]
    if not own:
        raise Forbidden(f"request {request_id} is outside this token's scope ({principal.org})")
    return own


# ---------------------------------------------------------------- extensions


async def request_extension(
    ctx: RequestsContext, request_id: str, principal: Principal, due_at: datetime, reason: str
) -> dict[str, Any]:
    """The holder asks, before its due time, for a later one (延期)."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        _require_lead(principal, row)
        now = utcnow()
        current = as_utc(row["due_at"])
        if Status(row["status"]) not in OPEN_STATUSES:
            raise Conflict(f"cannot extend a request that is {row['status']}", type_=ILLEGAL)
        if now >= current:
            raise Conflict(f"an extension is asked before the due time {current.isoformat()}")
        if due_at <= current:
            raise Invalid(
                "due_at", f"must be later than the current due time {current.isoformat()}"
            )
        pending = await repository.pending_extensions(session, request_id)
        if pending:
            raise Conflict(f"request {request_id} already has an extension waiting for a decision")
        extension_id = str(uuid7())
        values = {
            "id": extension_id,
            "request_id": request_id,
            "org_unit_id": row["org_unit_id"],
            "previous_due_at": current,
            "due_at": due_at,
            "reason": reason,
            "status": "pending",
            "requested_by": principal.sub,
            "requested_at": now,
        }
        await repository.add_extension(session, values)
        await record_step_or_conflict(
            ctx,
            session,
            row,
            "extension_requested",
            actor=principal.sub,
            now=now,
            note=reason,
            extension_id=extension_id,
            requested_due_at=due_at,
        )
        return values


async def decide_extension(
    ctx: RequestsContext,
    request_id: str,
    extension_id: str,
    principal: Principal,
    approve: bool,
    note: str | None,
) -> dict[str, Any]:
    """The parent unit approves (due_at moves, counted, not overdue) or rejects an extension."""
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        require_holder_scope(principal, row)
        principal.require_role("cadre")
        holder = await get_unit(session, row["org_unit_id"])
        parent = await get_unit(session, holder.parent_id) if holder and holder.parent_id else None
        if parent is not None and not principal.covers(parent.area_code):
            raise Forbidden("only the unit above the holding unit decides its extensions")
        extension = await repository.find_extension(session, request_id, extension_id)
        if extension is None:
            raise NotFound(f"no extension {extension_id} on request {request_id}")
        if extension["status"] != "pending":
            raise Conflict(
                f"extension {extension_id} was already {extension['status']}", type_=ILLEGAL
            )
        now = utcnow()
        decision = "approved" if approve else "rejected"
        await repository.change_extension(
            session,
            extension_id,
            {"status": decision, "decided_by": principal.sub, "decided_at": now, "note": note},
        )
        changes: dict[str, Any] = {}
        details = None
        if approve:
            new_due = SetDue(now, as_utc(extension["due_at"]))
            clock = await replay_clock(ctx, session, request_id, new_due)
            changes = {
                **(clock_changes(clock, now) or {"due_at": new_due.due, "overdue_marked": False}),
                "extensions": row["extensions"] + 1,
            }
            details = details_of(new_due)
        await record_step_or_conflict(
            ctx,
            session,
            row,
            "extension_decided",
            actor=principal.sub,
            now=now,
            note=note,
            changes=changes,
            details=details,
            extension_id=extension_id,
            decision=decision,
            requested_due_at=as_utc(extension["due_at"]),
        )
        return {**extension, "status": decision, "decided_by": principal.sub, "decided_at": now}


# ---------------------------------------------------------------- callbacks

UNREACHABLE_AFTER = 3


async def record_callback(
    ctx: RequestsContext,
    request_id: str,
    principal: Principal,
    reached: bool,
    rating: str | None,
    comment: str | None,
) -> dict[str, Any]:
    """A county centre cadre records a callback (回访); a rating counts as feedback."""
    principal.require_role("cadre")
    if area_tier(principal.org) != "county":
        raise Forbidden("callbacks are recorded by the county centre's cadres")
    if not reached and rating is not None:
        raise Invalid("rating", "a citizen who was not reached gave no rating")
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        principal.require_area(row["county_area"])
        if Status(row["status"]) not in (Status.RESOLVED, Status.CLOSED):
            raise Conflict(
                f"callbacks follow the result; the request is {row['status']}", type_=ILLEGAL
            )
        earlier = await repository.callback_outcomes(session, request_id)
        if any(outcome in ("reached", "unreachable") for outcome in earlier):
            raise Conflict(f"request {request_id} already has a final callback")
        attempt = len(earlier) + 1
        outcome = (
            "reached"
            if reached
            else ("unreachable" if attempt >= UNREACHABLE_AFTER else "not_reached")
        )
        now = utcnow()
        callback_id = str(uuid7())
        await repository.add_callback(
            session,
            {
                "id": callback_id,
                "request_id": request_id,
                "reached": reached,
                "attempt": attempt,
                "outcome": outcome,
                "rating": rating,
                "comment": comment,
                "recorded_by": principal.sub,
                "recorded_at": now,
            },
        )
        row = await record_step_or_conflict(
            ctx,
            session,
            row,
            "callback",
            actor=principal.sub,
            now=now,
            note=outcome,
            reached=reached,
            attempt=attempt,
            outcome=outcome,
            rating=rating,
        )
        if rating is not None:
            if Status(row["status"]) is not Status.RESOLVED or row["rating"] is not None:
                raise Conflict(f"request {request_id} was already rated or closed", type_=ILLEGAL)
            row = await apply_transition(
                ctx,
                session,
                row,
                Action.FEEDBACK,
                actor=principal.sub,
                note=f"callback: {comment}" if comment else "callback",
                changes={"rating": rating, "feedback_comment": comment},
                event_extra={"rating": rating},
                now=now,
            )
            if rating == "unsatisfied":
                row = await reopen(
                    ctx, session, row, actor=principal.sub, reason="unsatisfied callback", now=now
                )
        return {
            "id": callback_id,
            "request_id": request_id,
            "reached": reached,
            "attempt": attempt,
            "outcome": outcome,
            "rating": rating,
            "status": row["status"],
        }
