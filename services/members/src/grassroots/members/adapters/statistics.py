"""SQL of the counts: structure of a subtree, per-county gauges, skills in use."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.members.adapters.orm import member_skills, members, org_units


async def structure_counts(
    session: AsyncSession, unit_path: str, band_cutoffs: list[date]
) -> list[Any]:
    """Active members of a subtree counted by stage, education, gender, age band and flags."""
    # Oldest band first, so each birth date takes the highest band whose cutoff it meets.
    band = case(
        *[
            (members.c.birth_date <= c, literal(i))
            for i, c in reversed(list(enumerate(band_cutoffs, 1)))
        ],
        else_=literal(0),
    ).label("band")
    subtree = select(org_units.c.id).where(org_units.c.path.startswith(unit_path))
    # Bands are computed in a subquery so the grouping refers to its column, not to a
    # second copy of the CASE with fresh bound parameters (which PostgreSQL would refuse).
    inner = (
        select(
            members.c.stage,
            members.c.education,
            members.c.gender,
            band,
            members.c.floating,
            members.c.lost_contact,
        )
        .where(members.c.status == "active", members.c.org_unit_id.in_(subtree))
        .subquery()
    )
    keys = [
        inner.c[k] for k in ("stage", "education", "gender", "band", "floating", "lost_contact")
    ]
    return list((await session.execute(select(*keys, func.count()).group_by(*keys))).all())


async def active_by_county(session: AsyncSession, area_prefix: str) -> list[Any]:
    """Active members under the prefix counted by county (six digits), stage and floating."""
    county = func.substr(org_units.c.area_code, 1, 6)
    query = (
        select(county.label("county"), members.c.stage, members.c.floating, func.count())
        .join(org_units, org_units.c.id == members.c.org_unit_id)
        .where(members.c.status == "active")
        .where(org_units.c.area_code.startswith(area_prefix))
        .group_by(county, members.c.stage, members.c.floating)
    )
    return list((await session.execute(query)).all())


async def skills_in_use(session: AsyncSession, unit_path: str) -> list[tuple[str, int]]:
    """Skills of a subtree's active members with counts, most common first (500 at most)."""
    subtree = select(org_units.c.id).where(org_units.c.path.startswith(unit_path))
    rows = await session.execute(
        select(member_skills.c.skill, func.count())
        .join(members, members.c.id == member_skills.c.member_id)
        .where(members.c.status == "active", members.c.org_unit_id.in_(subtree))
        .group_by(member_skills.c.skill)
        .order_by(func.count().desc(), member_skills.c.skill)
        .limit(500)
    )
    return [(str(s), int(n)) for s, n in rows]
