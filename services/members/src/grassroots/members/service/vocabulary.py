"""The county skill vocabulary: aliases an organisation department adds, and skills in use."""

from __future__ import annotations

from typing import Any

from grassroots.contracts.area import area_tier
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid
from grassroots.members.adapters import members as repo
from grassroots.members.adapters import statistics
from grassroots.members.domain.skills import clean_tag
from grassroots.members.service.commands import AliasIn
from grassroots.members.service.deps import Deps
from grassroots.members.service.shared import load_unit


async def put_alias(
    session: AsyncSession, deps: Deps, principal: Principal, body: AliasIn
) -> dict[str, Any]:
    """Add or replace a county alias (existing records keep their tags until edited)."""
    principal.require_role("org_admin")
    principal.require_area(body.county_area)
    if area_tier(body.county_area).value != "county":
        raise Invalid("county_area", "must be a county's area code")
    alias, skill = clean_tag(body.alias), clean_tag(body.skill)
    await repo.put_county_alias(session, body.county_area, alias, skill)
    return {"county_area": body.county_area, "alias": alias, "skill": skill}


async def list_aliases(
    session: AsyncSession, deps: Deps, principal: Principal, county_area: str
) -> list[dict[str, Any]]:
    """A county's own aliases."""
    principal.require_area(county_area)
    return await repo.county_alias_rows(session, county_area)


async def skills_in_use(
    session: AsyncSession, deps: Deps, principal: Principal, org_unit_id: str
) -> list[dict[str, Any]]:
    """Skills of a subtree's active members with counts, most common first."""
    unit = await load_unit(session, org_unit_id, field="org_unit")
    principal.require_area(unit.area_code)
    counts = await statistics.skills_in_use(session, unit.path)
    return [{"skill": s, "members": n} for s, n in counts]
