"""Routes of exclusions (不合理诉求): a unit flags a request, its county decides once."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from grassroots.evaluation.entrypoints.http.deps import AppDeps, Session
from grassroots.evaluation.entrypoints.http.schemas import ExclusionOut
from grassroots.evaluation.service import fairness
from grassroots.evaluation.service.commands import DecisionIn, ExclusionIn
from grassroots.kit.guards import Cadre, OrgAdmin

router = APIRouter(prefix="/v1", tags=["fairness"])


@router.post("/exclusions", response_model=ExclusionOut, status_code=201)
async def post_exclusion(
    body: ExclusionIn, principal: Cadre, session: Session, deps: AppDeps
) -> ExclusionOut:
    """Flag a request as unreasonable; it leaves the unit's rates once the county approves."""
    return ExclusionOut(**await fairness.propose_exclusion(session, deps, principal, body))


@router.post("/exclusions/{exclusion_id}/{decision}", response_model=ExclusionOut)
async def decide_exclusion(
    exclusion_id: str,
    decision: Literal["approve", "reject"],
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
    body: DecisionIn | None = None,
) -> ExclusionOut:
    """The county approves or rejects an exclusion (once)."""
    note = body.note if body else None
    decided = await fairness.decide_exclusion(
        session, deps, principal, exclusion_id, decision, note
    )
    return ExclusionOut(**decided)
