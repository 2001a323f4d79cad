"""Decide once: the one workflow behind bonus items, points items, exclusions and appeals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from grassroots.evaluation.adapters.items import ItemStore
from grassroots.evaluation.domain.decisions import AlreadyDecided, decided_status
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Conflict, NotFound

Check = Callable[[dict[str, Any]], Awaitable[None]]


async def _anyone(row: dict[str, Any]) -> None:
    return None


async def decide_once(
    session: AsyncSession,
    principal: Principal,
    items: ItemStore,
    item_id: str,
    decision: str,
    *,
    noun: str,
    open_status: str,
    in_scope: Check,
    may_decide: Check = _anyone,
    extra: dict[str, Any] | None = None,
    refusal: str = "{noun} is {taken}",
) -> dict[str, Any]:
    """Read the item locked (404 unknown), check the caller's scope, take the decision once
    (409 `refusal` when taken), check the decider, record status and decider (and `extra`)."""
    principal.require_role("org_admin")
    row = await items.get(session, item_id, for_update=True)
    if row is None:
        raise NotFound(f"no {noun} {item_id}")
    await in_scope(row)
    try:
        status = decided_status(row["status"], decision, open_status=open_status)
    except AlreadyDecided as exc:
        raise Conflict(refusal.format(noun=noun, taken=exc)) from exc
    await may_decide(row)
    values = {"status": status, "decided_by": principal.sub, **(extra or {})}
    await items.change(session, item_id, values)
    return {**row, **values}
