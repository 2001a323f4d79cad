"""Rows keyed by `id` that are proposed, then decided once: one store per table, one SQL each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.orm import (
    appeals,
    bonus_items,
    exclusions,
    point_items,
    reviews,
    surveys,
)


async def insert_new(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row in a savepoint; False (and nothing written) when a unique key is taken."""
    try:
        async with session.begin_nested():
            await session.execute(insert(table).values(**values))
    except IntegrityError:
        return False
    return True


class ItemStore:
    """Add a row, read it (locked for a decision), record the decision, page by id."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def add(self, session: AsyncSession, row: dict[str, Any]) -> bool:
        """Insert `row` (only the table's columns); False when it clashes with a unique key."""
        return await insert_new(
            session, self.table, {k: v for k, v in row.items() if k in self.table.c}
        )

    async def get(
        self, session: AsyncSession, item_id: str, *, for_update: bool = False
    ) -> dict[str, Any] | None:
        """The row, or None; `for_update` holds it until the transaction ends."""
        query = select(self.table).where(self.table.c.id == item_id)
        if for_update:
            query = query.with_for_update()
        row = (await session.execute(query)).first()
        return dict(row._mapping) if row else None

    async def change(self, session: AsyncSession, item_id: str, values: dict[str, Any]) -> None:
        """Set `values` on the row."""
        await session.execute(update(self.table).where(self.table.c.id == item_id).values(**values))

    async def page(
        self, session: AsyncSession, *, after: str | None, limit: int, **equal: Any
    ) -> tuple[list[dict[str, Any]], bool]:
        """Rows whose columns equal `equal` (None values ignored) after `after`, by id, and
        whether more follow."""
        query = select(self.table)
        for name, value in equal.items():
            if value is not None:
                query = query.where(self.table.c[name] == value)
        if after:
            query = query.where(self.table.c.id > after)
        rows = (await session.execute(query.order_by(self.table.c.id).limit(limit + 1))).all()
        return [dict(r._mapping) for r in rows[:limit]], len(rows) > limit


bonus_store = ItemStore(bonus_items)
points_store = ItemStore(point_items)
exclusion_store = ItemStore(exclusions)
appeal_store = ItemStore(appeals)
review_store = ItemStore(reviews)
survey_store = ItemStore(surveys)
