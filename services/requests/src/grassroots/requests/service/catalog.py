"""Use cases of the service catalogue (公开服务项目和流程): one transaction each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.kit.clock import utcnow
from grassroots.kit.problems import Conflict, NotFound
from grassroots.requests.adapters.orm import catalog_items
from grassroots.requests.service.context import RequestsContext

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


def county_of(area_code: str) -> str:
    """The county code enclosing `area_code` (catalogues are kept per county)."""
    return area_code[:6] + "000000"


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
            await session.execute(insert(catalog_items).values(**row))
    except IntegrityError as exc:
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
        await session.execute(
            update(catalog_items).where(catalog_items.c.id == current["id"]).values(**values)
        )
    ctx.lookups.clear()
    return {**current, **values}


async def find_item(session: AsyncSession, county_area: str, code: str) -> dict[str, Any] | None:
    """A county's item by code, or None."""
    row = (
        await session.execute(
            select(catalog_items).where(
                catalog_items.c.county_area == county_area, catalog_items.c.code == code
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def get_item_by_id(session: AsyncSession, item_id: str) -> dict[str, Any]:
    """An item by id (it must exist: requests point at it)."""
    row = (await session.execute(select(catalog_items).where(catalog_items.c.id == item_id))).one()
    return dict(row._mapping)


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
    query = select(catalog_items)
    if county_area:
        query = query.where(catalog_items.c.county_area == county_area)
    if category:
        query = query.where(catalog_items.c.category == category)
    if not include_inactive:
        query = query.where(catalog_items.c.active.is_(True))
    if after:
        query = query.where(catalog_items.c.id > after)
    async with ctx.db.read_only() as session:
        rows = (await session.execute(query.order_by(catalog_items.c.id).limit(limit))).all()
    return [dict(r._mapping) for r in rows]
