"""Lifecycle use cases: stage changes, probation extension, exit."""

from __future__ import annotations

from typing import Any

from grassroots.contracts.events.members import MemberExited
from grassroots.kit import clock
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Conflict
from grassroots.members.adapters.events import PendingEvent, record_events
from grassroots.members.domain import lifecycle
from grassroots.members.service.commands import ExitIn, StageChangeIn
from grassroots.members.service.deps import Deps
from grassroots.members.service.registry import (
    load_member,
    member_view,
    require_active_member,
    save_member,
)
from grassroots.members.service.shared import member_updated


def _state(row: Any) -> lifecycle.Lifecycle:
    return lifecycle.Lifecycle(
        stage=row.stage,
        since=row.stage_since,
        probation_months=row.probation_months,
        exited=row.status != "active",
        exit_reason=row.exit_reason,
    )


async def change_stage(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: StageChangeIn
) -> dict[str, Any]:
    """Advance a member one stage (minimum durations enforced) or extend a probation once."""
    row, area = await require_active_member(session, principal, member_id, "org_admin")
    today = clock.today()
    on = body.on or today
    if on > today:
        raise Conflict("a stage change cannot be dated in the future")
    try:
        if body.action == "extend_probation":
            new_state = lifecycle.extend_probation(_state(row), body.months or 12)
        else:
            index = lifecycle.STAGES.index(row.stage)
            target = body.to or (
                lifecycle.STAGES[index + 1] if index + 1 < len(lifecycle.STAGES) else row.stage
            )
            new_state = lifecycle.advance(_state(row), target, on)
    except lifecycle.IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    changes: dict[str, Any] = {
        "stage": new_state.stage,
        "stage_since": new_state.since,
        "probation_months": new_state.probation_months,
    }
    if new_state.stage == "probationary" and row.stage != "probationary":
        changes["joined_at"] = on
    if new_state.stage == "full" and row.stage != "full":
        changes["confirmed_at"] = on
    new = await save_member(session, member_id, changes)
    await record_events(
        session, deps.outbox, [PendingEvent(member_updated(new), area, member_id)], principal.sub
    )
    return member_view(new)


async def exit_member(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: ExitIn
) -> dict[str, Any]:
    """Close a member's record with a reason; a second exit is 409."""
    principal.require_role("org_admin")
    row, area = await load_member(session, member_id, for_update=True)
    principal.require_area(area)
    try:
        closed = lifecycle.exit_membership(_state(row), body.reason)
    except lifecycle.IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    new = await save_member(
        session,
        member_id,
        {
            "status": "exited",
            "exit_reason": closed.exit_reason,
            "exited_on": body.on or clock.today(),
        },
    )
    exited = MemberExited(
        member_id=member_id,
        org_unit_id=new.org_unit_id,
        reason=body.reason,
        version=new.version,
        occurred_at=utcnow(),
    )
    await record_events(
        session, deps.outbox, [PendingEvent(exited, area, member_id)], principal.sub
    )
    return member_view(new)
