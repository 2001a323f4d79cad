"""Structure statistics over an organisation subtree."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit import clock
from grassroots.kit.auth import Principal
from grassroots.members.adapters.orm import members, org_units
from grassroots.members.domain.structure import Cell, band_cutoffs, summarise
from grassroots.members.service.shared import load_unit


class StructureOut(BaseModel):
    """`GET /v1/stats/structure` answer."""

    org_unit_id: str
    as_of: date
    total: int
    by_stage: dict[str, int]
    by_education: dict[str, int]
    by_gender: dict[str, int]
    age_bands: dict[str, int]
    aged_over_45_ratio: float
    junior_high_or_below_ratio: float
    floating: int
    floating_ratio: float
    lost_contact: int


async def structure(
    session: AsyncSession, principal: Principal, org_unit_id: str, as_of: date | None
) -> StructureOut:
    """Counts of a subtree's active members by stage, education, gender and age band."""
    principal.require_role("viewer")
    unit = await load_unit(session, org_unit_id, field="org_unit")
    principal.require_area(unit.area_code)
    day = as_of or clock.today()
    cutoffs = band_cutoffs(day)
    # Oldest band first, so each birth date takes the highest band whose cutoff it meets.
    band = case(
        *[
            (members.c.birth_date <= c, literal(i))
            for i, c in reversed(list(enumerate(cutoffs, 1)))
        ],
        else_=literal(0),
    ).label("band")
    subtree = select(org_units.c.id).where(org_units.c.path.startswith(unit.path))
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
    query = select(*keys, func.count()).group_by(*keys)
    cells = [
        Cell(
            stage=r.stage,
            education=r.education,
            gender=r.gender,
            band=int(r.band),
            floating=bool(r.floating),
            lost_contact=bool(r.lost_contact),
            count=int(r[6]),
        )
        for r in (await session.execute(query)).all()
    ]
    result = summarise(cells, day)
    return StructureOut(org_unit_id=unit.id, **result.__dict__)
