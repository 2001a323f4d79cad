"""SQL of the organisation tree: units, their history, their stations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.members.adapters.orm import org_unit_history, org_units, stations


async def unit(session: AsyncSession, unit_id: str, *, for_update: bool = False) -> Any | None:
    """The unit row, or None."""
    query = select(org_units).where(org_units.c.id == unit_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def unit_named(
    session: AsyncSession, name: str, parent_id: str | None, *, excluding: str | None = None
) -> str | None:
    """The id of another unit (not `excluding`) of this name under this parent (None: the top)."""
    query = select(org_units.c.id).where(
        org_units.c.name == name,
        org_units.c.parent_id == parent_id if parent_id else org_units.c.parent_id.is_(None),
    )
    if excluding is not None:
        query = query.where(org_units.c.id != excluding)
    found = await session.scalar(query)
    return str(found) if found else None


async def add_unit(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a unit row."""
    await session.execute(org_units.insert().values(**values))


async def reroot_subtree(session: AsyncSession, old_path: str, new_path: str) -> None:
    """Move every materialised path under `old_path` to begin with `new_path` (one statement)."""
    await session.execute(
        update(org_units)
        .where(org_units.c.path.startswith(old_path))
        .values(path=literal(new_path) + func.substr(org_units.c.path, len(old_path) + 1))
    )


async def set_unit(session: AsyncSession, unit_id: str, values: dict[str, Any]) -> Any:
    """Change a unit's columns and return the new row."""
    await session.execute(update(org_units).where(org_units.c.id == unit_id).values(**values))
    return (await session.execute(select(org_units).where(org_units.c.id == unit_id))).one()


async def add_history(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record one rename or move of a unit."""
    await session.execute(insert(org_unit_history).values(**values))


async def history_of(session: AsyncSession, unit_id: str) -> list[dict[str, Any]]:
    """Every recorded change of a unit, oldest first."""
    rows = await session.execute(
        select(org_unit_history)
        .where(org_unit_history.c.org_unit_id == unit_id)
        .order_by(org_unit_history.c.version)
    )
    return [dict(r._mapping) for r in rows]


async def units_page(
    session: AsyncSession, *, area_prefix: str, parent_id: str | None, after: str | None, limit: int
) -> list[Any]:
    """Up to `limit + 1` units whose area lies under the prefix, by id."""
    query = select(org_units).where(org_units.c.area_code.startswith(area_prefix))
    if parent_id is not None:
        query = query.where(org_units.c.parent_id == parent_id)
    if after is not None:
        query = query.where(org_units.c.id > after)
    return list((await session.execute(query.order_by(org_units.c.id).limit(limit + 1))).all())


async def subtree_page(
    session: AsyncSession, path: str, *, after: str | None, limit: int
) -> list[Any]:
    """Up to `limit + 1` units of a subtree in tree order (by materialised path)."""
    query = select(org_units).where(org_units.c.path.startswith(path))
    if after is not None:
        query = query.where(org_units.c.path > after)
    return list((await session.execute(query.order_by(org_units.c.path).limit(limit + 1))).all())


async def units_under(session: AsyncSession, area_prefix: str) -> list[Any]:
    """Id, name and area code of every unit whose area lies under the prefix."""
    rows = await session.execute(
        select(org_units.c.id, org_units.c.name, org_units.c.area_code).where(
            org_units.c.area_code.startswith(area_prefix)
        )
    )
    return list(rows.all())


async def station_named(session: AsyncSession, unit_id: str, name: str) -> str | None:
    """The id of the unit's station of this name."""
    found = await session.scalar(
        select(stations.c.id).where(stations.c.org_unit_id == unit_id, stations.c.name == name)
    )
    return str(found) if found else None


async def add_station(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a station row."""
    await session.execute(insert(stations).values(**values))


async def stations_page(
    session: AsyncSession,
    *,
    area_prefix: str,
    unit_path: str | None,
    kind: str | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit + 1` stations of units under the prefix (or one subtree), by id."""
    query = (
        select(stations)
        .join(org_units, org_units.c.id == stations.c.org_unit_id)
        .where(org_units.c.area_code.startswith(area_prefix))
    )
    if unit_path is not None:
        query = query.where(org_units.c.path.startswith(unit_path))
    if kind is not None:
        query = query.where(stations.c.kind == kind)
    if after is not None:
        query = query.where(stations.c.id > after)
    rows = (await session.execute(query.order_by(stations.c.id).limit(limit + 1))).all()
    return [dict(r._mapping) for r in rows]


async def unit_names_under(session: AsyncSession, area_prefix: str) -> dict[str, str]:
    """The name of every unit whose area lies under the prefix, by id."""
    return {r.id: r.name for r in await units_under(session, area_prefix)}
