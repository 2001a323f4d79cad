"""Organisation bonus (奖励加分): a unit proposes points for innovative work; its parent decides."""

from __future__ import annotations

from typing import Any

from uuid6 import uuid7

from grassroots.evaluation.adapters.items import bonus_store
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.commands import BonusIn
from grassroots.evaluation.service.decisions import decide_once
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.paging import decode_cursor, encode_cursor
from grassroots.kit.problems import Conflict


async def propose_bonus(
    session: AsyncSession, deps: Deps, principal: Principal, command: BonusIn
) -> dict[str, Any]:
    """Propose bonus points for a unit, with a reason and evidence."""
    principal.require_role("cadre")
    parse_period(command.period)
    row = {
        "id": str(uuid7()),
        **command.model_dump(),
        "status": "proposed",
        "proposed_by": principal.sub,
        "decided_by": None,
        "created_at": utcnow(),
    }
    await scoped_unit(session, principal, command.org_unit_id)
    await bonus_store.add(session, row)
    return row


async def decide_bonus(
    session: AsyncSession, deps: Deps, principal: Principal, bonus_id: str, decision: str
) -> dict[str, Any]:
    """The parent unit approves or rejects a proposed bonus (once)."""

    async def in_scope(row: dict[str, Any]) -> None:
        unit = await scoped_unit(session, principal, row["org_unit_id"])
        if unit.parent_id is None:
            raise Conflict("a unit without a parent cannot have its bonus approved")
        # The decision belongs to the parent unit: the token must cover the parent's area.
        await scoped_unit(session, principal, unit.parent_id, "parent")

    return await decide_once(
        session,
        principal,
        bonus_store,
        bonus_id,
        decision,
        noun="bonus item",
        open_status="proposed",
        in_scope=in_scope,
    )


async def list_bonus(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    org_unit: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """Bonus items of a unit, oldest first."""
    after = decode_cursor(cursor)
    await scoped_unit(session, principal, org_unit, "org_unit")
    items, more = await bonus_store.page(
        session, after=str(after) if after else None, limit=limit, org_unit_id=org_unit
    )
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if more else None}
