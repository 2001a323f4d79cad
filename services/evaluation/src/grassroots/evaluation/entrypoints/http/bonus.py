"""Routes of organisation bonus items (奖励加分): proposed by a unit, decided by its parent."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from grassroots.evaluation.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.evaluation.entrypoints.http.schemas import BonusOut
from grassroots.evaluation.service import bonus
from grassroots.evaluation.service.commands import BonusIn
from grassroots.kit.guards import Cadre, OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page

router = APIRouter(prefix="/v1", tags=["evaluation"])


@router.post("/bonus", response_model=BonusOut, status_code=201)
async def propose_bonus(
    body: BonusIn, principal: Cadre, session: Session, deps: AppDeps
) -> BonusOut:
    """Propose bonus points for a unit, with a reason and evidence."""
    return BonusOut(**await bonus.propose_bonus(session, deps, principal, body))


@router.post("/bonus/{bonus_id}/{decision}", response_model=BonusOut)
async def decide_bonus(
    bonus_id: str,
    decision: Literal["approve", "reject"],
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
) -> BonusOut:
    """The parent unit approves or rejects a proposed bonus (once)."""
    return BonusOut(**await bonus.decide_bonus(session, deps, principal, bonus_id, decision))


@router.get("/bonus", response_model=Page[BonusOut])
async def list_bonus(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    org_unit: str,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BonusOut]:
    """Bonus items of a unit, oldest first."""
    page = await bonus.list_bonus(session, deps, principal, org_unit, limit, cursor)
    return Page(items=[BonusOut(**r) for r in page["items"]], next_cursor=page["next_cursor"])
