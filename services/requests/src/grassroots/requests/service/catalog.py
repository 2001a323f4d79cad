"""Use cases of the service catalogue (公开服务项目和流程): one transaction each."""

from __future__ import annotations

from typing import Any

from uuid6 import uuid7

from grassroots.contracts.area import county_of
from grassroots.kit.clock import utcnow
from grassroots.kit.problems import Conflict, NotFound
from grassroots.requests.adapters import repository
from grassroots.requests.adapters.repository import find_item, get_item_by_id
from grassroots.requests.service.context import RequestsContext

__all__ = ["county_of", "create_item", "find_item", "get_item_by_id", "list_items", "update_item"]

ITEM_FIELDS = (
    "code",
    "name",
    "category",
    "description",
    "time_limit",
    "calendar",
    "handling_tier",
    "escalation_limits",
    "materials",
    "door_to_door",
    "allow_anonymous",
    "skills",
    "attributes",
    "active",
)


async def create_item(
    ctx: RequestsContext, county_area: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Add an item to a county's catalogue; 409 when the code is taken."""
    now = utcnow()
    row = {
        "id": str(uuid7()),
        "county_area": county_area,
        **{k: fields[k] for k in ITEM_FIELDS},
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with ctx.db.transaction() as session:
            await repository.add_item(session, row)
    except repository.AlreadyStored as exc:
        raise Conflict(f"catalogue item {fields['code']} already exists in {county_area}") from exc
    return row


async def update_item(
    ctx: RequestsContext, county_area: str, code: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Replace an item's definition; requests already taken in keep their due times."""
    async with ctx.db.transaction() as session:
        current = await find_item(session, county_area, code)
        if current is None:
            raise NotFound(f"no catalogue item {code} in {county_area}")
        values = {k: fields[k] for k in ITEM_FIELDS if k != "code"}
        values.update(version=current["version"] + 1, updated_at=utcnow())
        await repository.change_item(session, current["id"], values)
    ctx.lookups.clear()
    return {**current, **values}


async def list_items(
    ctx: RequestsContext,
    county_area: str | None,
    *,
    after: str | None,
    limit: int,
    category: str | None = None,
    include_inactive: bool = False,
) -> list[dict[str, Any]]:
    """A page of items ordered by (county, code)."""
    async with ctx.db.read_only() as session:
        return await repository.list_items(
            session,
            county_area,
            after=after,
            limit=limit,
            category=category,
            include_inactive=include_inactive,
        )
