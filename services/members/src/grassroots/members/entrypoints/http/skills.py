"""Routes of the county skill vocabulary and the skills in use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from grassroots.kit.guards import OrgAdmin
from grassroots.members.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
    UnitParam,
)
from grassroots.members.entrypoints.http.schemas import AliasOut, SkillCount
from grassroots.members.service import vocabulary
from grassroots.members.service.commands import AliasIn

router = APIRouter(prefix="/v1", tags=["skills"])


@router.put("/skills/aliases", response_model=AliasOut)
async def put_skill_alias(
    body: AliasIn, principal: OrgAdmin, session: Session, deps: AppDeps
) -> AliasOut:
    """Teach the county vocabulary a spelling: new tags `alias` are stored as `skill`."""
    return AliasOut.model_validate(await vocabulary.put_alias(session, deps, principal, body))


@router.get("/skills/aliases", response_model=list[AliasOut])
async def list_skill_aliases(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    county_area: Annotated[str, Query(pattern=r"^\d{6}0{6}$")],
) -> list[AliasOut]:
    """A county's own skill aliases (on top of the built-in vocabulary)."""
    aliases = await vocabulary.list_aliases(session, deps, principal, county_area)
    return [AliasOut.model_validate(alias) for alias in aliases]


@router.get("/skills", response_model=list[SkillCount])
async def skills_in_use(
    principal: CurrentPrincipal, session: ReadSession, deps: AppDeps, org_unit: UnitParam
) -> list[SkillCount]:
    """Skills of a subtree's members with counts (for matching members to needs)."""
    counts = await vocabulary.skills_in_use(session, deps, principal, org_unit)
    return [SkillCount.model_validate(count) for count in counts]
