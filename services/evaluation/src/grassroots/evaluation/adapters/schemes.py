"""Stored schemes: versions per county and name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.orm import schemes


async def latest_version(session: AsyncSession, county: str, name: str) -> int | None:
    """The highest stored version of a named scheme for a county."""
    latest = await session.scalar(
        select(func.max(schemes.c.version)).where(
            schemes.c.county_area_code == county, schemes.c.name == name
        )
    )
    return None if latest is None else int(latest)


async def add_scheme(session: AsyncSession, row: dict[str, Any]) -> None:
    """Store a scheme version."""
    await session.execute(insert(schemes).values(**row))


async def schemes_of(session: AsyncSession, county: str) -> list[dict[str, Any]]:
    """Every stored version for a county, by name then version."""
    rows = await session.execute(
        select(schemes)
        .where(schemes.c.county_area_code == county)
        .order_by(schemes.c.name, schemes.c.version)
    )
    return [dict(r._mapping) for r in rows.all()]


async def newest_scheme(session: AsyncSession, county: str, name: str) -> dict[str, Any] | None:
    """The newest stored version of `name` for the county, if any."""
    row = (
        await session.execute(
            select(schemes)
            .where(schemes.c.county_area_code == county, schemes.c.name == name)
            .order_by(schemes.c.version.desc())
            .limit(1)
        )
    ).first()
    return dict(row._mapping) if row else None
