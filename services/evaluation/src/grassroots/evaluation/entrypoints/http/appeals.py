"""Routes of appeals (申诉): a unit appeals one request in one rate, its county decides once."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from grassroots.evaluation.entrypoints.http.deps import AppDeps, Session
from grassroots.evaluation.entrypoints.http.schemas import AppealOut
from grassroots.evaluation.service import fairness
from grassroots.evaluation.service.commands import AppealIn, DecisionIn
from grassroots.kit.guards import Cadre, OrgAdmin

router = APIRouter(prefix="/v1", tags=["fairness"])


@router.post("/appeals", response_model=AppealOut, status_code=201)
async def post_appeal(
    body: AppealIn, principal: Cadre, session: Session, deps: AppDeps
) -> AppealOut:
    """Appeal one request's assessment within the window after its period (409 when closed)."""
    return AppealOut(**await fairness.propose_appeal(session, deps, principal, body))


@router.post("/appeals/{appeal_id}/{decision}", response_model=AppealOut)
async def decide_appeal(
    appeal_id: str,
    decision: Literal["uphold", "dismiss"],
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
    body: DecisionIn | None = None,
) -> AppealOut:
    """The county upholds (the request leaves that rate) or dismisses an appeal (once)."""
    note = body.note if body else None
    decided = await fairness.decide_appeal(session, deps, principal, appeal_id, decision, note)
    return AppealOut(**decided)
