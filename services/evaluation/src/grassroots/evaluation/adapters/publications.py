"""Published rankings: every version kept, never edited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.items import insert_new
from grassroots.evaluation.adapters.orm import publications


async def find_publication(
    session: AsyncSession, parent_id: str, period: str, scheme: str, version: int | None = None
) -> dict[str, Any] | None:
    """A published version of a ranking (the newest unless `version` is given), if any."""
    query = select(publications).where(
        publications.c.kind == "ranking",
        publications.c.parent_org_unit_id == parent_id,
        publications.c.period == period,
        publications.c.scheme == scheme,
    )
    if version is not None:
        query = query.where(publications.c.version == version)
    row = (await session.execute(query.order_by(publications.c.version.desc()).limit(1))).first()
    return dict(row._mapping) if row else None


async def add_publication(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a published version; False when that version was just stored by someone else."""
    return await insert_new(session, publications, row)
