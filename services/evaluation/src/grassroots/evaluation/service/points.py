"""Points (积分): automatic items from events, entered items decided once by another admin,
and the leaderboard with stars."""

from __future__ import annotations

from typing import Any

from uuid6 import uuid7

from grassroots.evaluation.adapters.items import points_store
from grassroots.evaluation.adapters.people import approved_points, member_units
from grassroots.evaluation.adapters.units import load_tree
from grassroots.evaluation.domain.periods import Period, month_key
from grassroots.evaluation.domain.points import stars, total_points
from grassroots.evaluation.domain.tree import Tree
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.commands import PointsIn
from grassroots.evaluation.service.decisions import decide_once
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.paging import decode_cursor, encode_cursor
from grassroots.kit.problems import Forbidden


async def propose_points(
    session: AsyncSession, deps: Deps, principal: Principal, command: PointsIn
) -> dict[str, Any]:
    """Enter a bonus or deduction item for a member; an approver must confirm it."""
    principal.require_role("cadre")
    now = utcnow()
    row = {
        "id": str(uuid7()),
        **command.model_dump(exclude={"month"}),
        "month": command.month or month_key(now),
        "source": "manual",
        "status": "proposed",
        "proposed_by": principal.sub,
        "decided_by": None,
        "created_at": now,
    }
    await scoped_unit(session, principal, command.org_unit_id)
    await points_store.add(session, row)
    return row


async def decide_points(
    session: AsyncSession, deps: Deps, principal: Principal, item_id: str, decision: str
) -> dict[str, Any]:
    """Approve or reject an entered item; the proposer cannot approve their own."""

    async def in_scope(row: dict[str, Any]) -> None:
        await scoped_unit(session, principal, row["org_unit_id"])

    async def not_the_proposer(row: dict[str, Any]) -> None:
        if row["proposed_by"] == principal.sub:
            raise Forbidden("the proposer cannot approve their own item")

    return await decide_once(
        session,
        principal,
        points_store,
        item_id,
        decision,
        noun="points item",
        open_status="proposed",
        in_scope=in_scope,
        may_decide=not_the_proposer,
    )


async def list_points(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    org_unit: str,
    member_id: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """Points items of a unit (optionally one member), by id."""
    after = decode_cursor(cursor)
    await scoped_unit(session, principal, org_unit, "org_unit")
    items, more = await points_store.page(
        session,
        after=str(after) if after else None,
        limit=limit,
        org_unit_id=org_unit,
        member_id=member_id or None,
    )
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if more else None}


async def leaderboard(
    session: AsyncSession, tree: Tree, root_id: str, period: Period, base: float
) -> list[dict[str, Any]]:
    """Members of a subtree by points in the period: base plus approved items; stars."""
    unit_ids = tree.subtree(root_id)
    known = await member_units(session, unit_ids)
    earned = await approved_points(session, unit_ids, list(period.months))
    board: list[dict[str, Any]] = []
    for member_id in sorted(set(known) | set(earned)):
        unit, points, count = earned.get(member_id, (known.get(member_id), 0.0, 0))
        total = total_points(base, [points])
        board.append(
            {
                "member_id": member_id,
                "org_unit_id": known.get(member_id, unit),
                "base": base,
                "items": count,
                "points": total,
                "stars": stars(total),
            }
        )
    board.sort(key=lambda e: (-e["points"], e["member_id"]))
    for rank, entry in enumerate(board, start=1):
        entry["rank"] = rank
    return board


async def show_leaderboard(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    org_unit: str,
    period: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """Members of a subtree by points in the period (base + approved items), with stars."""
    parsed = parse_period(period)
    offset = int(decode_cursor(cursor) or 0)
    unit = await scoped_unit(session, principal, org_unit, "org_unit")
    tree = await load_tree(session, unit.area_code)
    board = await leaderboard(session, tree, unit.id, parsed, deps.base_points)
    more = offset + limit < len(board)
    return {
        "org_unit_id": unit.id,
        "period": str(parsed),
        "items": board[offset : offset + limit],
        "next_cursor": encode_cursor(offset + limit) if more else None,
    }
