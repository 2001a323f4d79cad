"""The county skill vocabulary: aliases an organisation department adds, and skills in use."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.area import AreaCode, area_tier
from grassroots.kit.auth import Principal
from grassroots.kit.problems import Invalid
from grassroots.members.adapters.orm import member_skills, members, org_units, skill_aliases
from grassroots.members.domain.skills import clean_tag
from grassroots.members.service.shared import load_unit


class AliasIn(BaseModel):
    """Body of `PUT /v1/skills/aliases`: `alias` is read as `skill` in the county from now on."""

    county_area: AreaCode
    alias: str = Field(min_length=1, max_length=32)
    skill: str = Field(min_length=1, max_length=32)


class AliasOut(BaseModel):
    """One county alias."""

    county_area: str
    alias: str
    skill: str


class SkillCount(BaseModel):
    """A skill and how many active members of the subtree have it."""

    skill: str
    members: int


async def put_alias(session: AsyncSession, principal: Principal, body: AliasIn) -> AliasOut:
    """Add or replace a county alias (existing records keep their tags until edited)."""
    principal.require_role("org_admin")
    principal.require_area(body.county_area)
    if area_tier(body.county_area).value != "county":
        raise Invalid("county_area", "must be a county's area code")
    alias, skill = clean_tag(body.alias), clean_tag(body.skill)
    await session.execute(
        delete(skill_aliases).where(
            skill_aliases.c.county_area == body.county_area, skill_aliases.c.alias == alias
        )
    )
    await session.execute(
        insert(skill_aliases).values(county_area=body.county_area, alias=alias, skill=skill)
    )
    return AliasOut(county_area=body.county_area, alias=alias, skill=skill)


async def list_aliases(
    session: AsyncSession, principal: Principal, county_area: str
) -> list[AliasOut]:
    """A county's own aliases."""
    principal.require_area(county_area)
    rows = await session.execute(
        select(skill_aliases)
        .where(skill_aliases.c.county_area == county_area)
        .order_by(skill_aliases.c.alias)
    )
    return [AliasOut.model_validate(dict(r._mapping)) for r in rows]


async def skills_in_use(
    session: AsyncSession, principal: Principal, org_unit_id: str
) -> list[SkillCount]:
    """Skills of a subtree's active members with counts, most common first."""
    unit = await load_unit(session, org_unit_id, field="org_unit")
    principal.require_area(unit.area_code)
    subtree = select(org_units.c.id).where(org_units.c.path.startswith(unit.path))
    rows = await session.execute(
        select(member_skills.c.skill, func.count())
        .join(members, members.c.id == member_skills.c.member_id)
        .where(members.c.status == "active", members.c.org_unit_id.in_(subtree))
        .group_by(member_skills.c.skill)
        .order_by(func.count().desc(), member_skills.c.skill)
        .limit(500)
    )
    return [SkillCount(skill=s, members=n) for s, n in rows]
