"""SQL of the public board and of publications, and the units that publish at an area."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.db import insert_ignoring
from grassroots.kit.tables import org_units
from grassroots.notifications.adapters.orm import board_items, publications


async def add_board_item(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a board item once per cause."""
    await session.execute(insert_ignoring(session, board_items, ["cause_id"]).values(**values))


async def list_board_items(
    session: AsyncSession, area_codes: list[str], before: str | None, limit: int
) -> list[Any]:
    """Board items of the given areas, newest first (one more than `limit`)."""
    query = select(board_items).where(board_items.c.area_code.in_(area_codes))
    if before is not None:
        query = query.where(board_items.c.id < before)
    query = query.order_by(board_items.c.id.desc()).limit(limit + 1)
    return list((await session.execute(query)).all())


async def units_at(session: AsyncSession, area_code: str) -> list[Any]:
    """The organisation units serving exactly this area."""
    query = select(org_units).where(org_units.c.area_code == area_code)
    return list((await session.execute(query)).all())


async def add_publication(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a publication."""
    await session.execute(publications.insert().values(**values))


async def list_publications(
    session: AsyncSession,
    *,
    kind: str | None,
    enclosing: list[str] | None,
    under_prefix: str | None,
    before: str | None,
    limit: int,
) -> list[Any]:
    """Publications, newest first (one more than `limit`), of enclosing and inner areas."""
    query = select(publications)
    if kind is not None:
        query = query.where(publications.c.kind == kind)
    if enclosing is not None and under_prefix is not None:
        query = query.where(
            or_(
                publications.c.area_code.in_(enclosing),
                publications.c.area_code.startswith(under_prefix),
            )
        )
    if before is not None:
        query = query.where(publications.c.id < before)
    query = query.order_by(publications.c.id.desc()).limit(limit + 1)
    return list((await session.execute(query)).all())


async def get_publication(session: AsyncSession, publication_id: str) -> Any | None:
    """One publication, or None."""
    query = select(publications).where(publications.c.id == publication_id)
    return (await session.execute(query)).first()
