"""SQL of transfer letters."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from grassroots.members.adapters.orm import org_units, transfers


async def open_letter_of(session: AsyncSession, member_id: str) -> str | None:
    """The id of the member's issued (still open) letter."""
    found = await session.scalar(
        select(transfers.c.id).where(
            transfers.c.member_id == member_id, transfers.c.status == "issued"
        )
    )
    return str(found) if found else None


async def add_letter(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a letter."""
    await session.execute(transfers.insert().values(**values))


async def letter(session: AsyncSession, transfer_id: str, *, for_update: bool = False) -> Any:
    """The letter row, or None."""
    query = select(transfers).where(transfers.c.id == transfer_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def decide_letter(session: AsyncSession, transfer_id: str, values: dict[str, Any]) -> None:
    """Record a decision on a letter."""
    await session.execute(update(transfers).where(transfers.c.id == transfer_id).values(**values))


async def letters_page(
    session: AsyncSession,
    *,
    area_prefix: str,
    direction: str,
    status: str | None,
    overdue_on: date | None,
    after: str | None,
    limit: int,
) -> list[Any]:
    """Up to `limit + 1` letters leaving or reaching units under the prefix, by id."""
    sender, receiver = aliased(org_units), aliased(org_units)
    query = (
        select(transfers)
        .join(sender, sender.c.id == transfers.c.from_org_unit_id)
        .join(receiver, receiver.c.id == transfers.c.to_org_unit_id)
    )
    outgoing = sender.c.area_code.startswith(area_prefix)
    incoming = receiver.c.area_code.startswith(area_prefix)
    scope = {"incoming": incoming, "outgoing": outgoing, "any": or_(incoming, outgoing)}[direction]
    query = query.where(scope)
    if overdue_on is not None:
        query = query.where(
            and_(transfers.c.status == "issued", transfers.c.valid_until < overdue_on)
        )
    elif status is not None:
        query = query.where(transfers.c.status == status)
    if after is not None:
        query = query.where(transfers.c.id > after)
    return list((await session.execute(query.order_by(transfers.c.id).limit(limit + 1))).all())


async def overdue_letter_ids(session: AsyncSession, today: date, limit: int) -> list[str]:
    """Issued letters whose validity ended before today, longest overdue first."""
    due = await session.scalars(
        select(transfers.c.id)
        .where(transfers.c.status == "issued", transfers.c.valid_until < today)
        .order_by(transfers.c.valid_until, transfers.c.id)
        .limit(limit)
    )
    return [str(i) for i in due.all()]


async def claim_issued_letter(
    session: AsyncSession, transfer_id: str, *, skip_locked: bool
) -> bool:
    """Lock the letter if it is still issued (skipping one another replica holds)."""
    query = select(transfers.c.id).where(
        transfers.c.id == transfer_id, transfers.c.status == "issued"
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).first() is not None
