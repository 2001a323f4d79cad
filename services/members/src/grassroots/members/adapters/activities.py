"""SQL of floating spells, claimed posts and public commitments."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.members.adapters.orm import commitments, floating_spells, members, org_units, posts


async def add_spell(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record that a member left (the destination sealed by the caller)."""
    await session.execute(insert(floating_spells).values(**values))


async def close_spell(session: AsyncSession, member_id: str, returned_on: date) -> None:
    """Close the member's open floating spell."""
    await session.execute(
        update(floating_spells)
        .where(floating_spells.c.member_id == member_id, floating_spells.c.returned_on.is_(None))
        .values(returned_on=returned_on)
    )


def _floating(area_prefix: str, unit_path: str | None) -> Any:
    query = (
        select(
            members.c.id,
            members.c.name,
            members.c.org_unit_id,
            members.c.lost_contact,
            floating_spells.c.destination_area,
            floating_spells.c.left_on,
            floating_spells.c.expected_return,
        )
        .join(org_units, org_units.c.id == members.c.org_unit_id)
        .join(
            floating_spells,
            (floating_spells.c.member_id == members.c.id) & floating_spells.c.returned_on.is_(None),
        )
        .where(members.c.status == "active", members.c.floating.is_(True))
        .where(org_units.c.area_code.startswith(area_prefix))
    )
    if unit_path is not None:
        query = query.where(org_units.c.path.startswith(unit_path))
    return query


async def floating_page(
    session: AsyncSession,
    *,
    area_prefix: str,
    unit_path: str | None,
    destination_area: str | None,
    after: str | None,
    limit: int,
) -> list[Any]:
    """Up to `limit + 1` floating members in scope with their open spell, by member id."""
    query = _floating(area_prefix, unit_path)
    if destination_area is not None:
        query = query.where(floating_spells.c.destination_area == destination_area)
    if after is not None:
        query = query.where(members.c.id > after)
    return list((await session.execute(query.order_by(members.c.id).limit(limit + 1))).all())


async def floating_by_destination(
    session: AsyncSession, *, area_prefix: str, unit_path: str | None
) -> list[tuple[str | None, int]]:
    """Floating members in scope counted per destination area, most first."""
    inner = _floating(area_prefix, unit_path).subquery()
    rows = await session.execute(
        select(inner.c.destination_area, func.count())
        .group_by(inner.c.destination_area)
        .order_by(func.count().desc())
    )
    return [(area, int(count)) for area, count in rows]


async def add_post(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record a claimed post."""
    await session.execute(insert(posts).values(**values))


async def add_commitment(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record a public commitment."""
    await session.execute(insert(commitments).values(**values))


async def _page_of(
    session: AsyncSession, table: Table, member_id: str, after: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(table).where(table.c.member_id == member_id)
    if after is not None:
        query = query.where(table.c.id > after)
    rows = (await session.execute(query.order_by(table.c.id).limit(limit + 1))).all()
    return [dict(r._mapping) for r in rows]


async def posts_page(
    session: AsyncSession, member_id: str, *, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit + 1` of a member's posts, oldest first."""
    return await _page_of(session, posts, member_id, after, limit)


async def commitments_page(
    session: AsyncSession, member_id: str, *, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit + 1` of a member's commitments, oldest first."""
    return await _page_of(session, commitments, member_id, after, limit)
