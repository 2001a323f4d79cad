"""Routes of notification rules: which event notifies whom, and a county's own changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from grassroots.contracts.area import AreaCode
from grassroots.kit.guards import OrgAdmin
from grassroots.notifications.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.notifications.entrypoints.http.schemas import RuleOut
from grassroots.notifications.service import rules
from grassroots.notifications.service.commands import RuleOverrideIn

router = APIRouter(prefix="/v1", tags=["rules"])


@router.get("/rules", response_model=list[RuleOut])
async def list_rules(
    principal: CurrentPrincipal, session: ReadSession, county: AreaCode | None = None
) -> list[RuleOut]:
    """Which event notifies whom on which channel (in a county when given)."""
    return [RuleOut(**r) for r in await rules.show_rules(session, principal, county)]


@router.put("/rules/{rule}", response_model=list[RuleOut])
async def put_rule(
    principal: OrgAdmin,
    rule: str,
    county: Annotated[AreaCode, Query(description="the county's area code")],
    body: RuleOverrideIn,
    session: Session,
    deps: AppDeps,
) -> list[RuleOut]:
    """Change a default rule for one county: switch it off or use other channels."""
    changed = await rules.change_rule(session, deps, principal, rule, county, body)
    return [RuleOut(**r) for r in changed]
