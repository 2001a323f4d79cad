"""Routes of a member's lifecycle: stage changes and exit."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.guards import OrgAdmin
from grassroots.members.entrypoints.http.deps import AppDeps, Session
from grassroots.members.entrypoints.http.schemas import MemberOut
from grassroots.members.service import lifecycle
from grassroots.members.service.commands import ExitIn, StageChangeIn

router = APIRouter(prefix="/v1", tags=["lifecycle"])


@router.post("/members/{member_id}/stage", response_model=MemberOut)
async def change_stage(
    member_id: str,
    body: StageChangeIn,
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
) -> MemberOut:
    """Advance a member one stage, or extend a probation once (illegal moves are 409)."""
    return MemberOut.model_validate(
        await lifecycle.change_stage(session, deps, principal, member_id, body)
    )


@router.post("/members/{member_id}/exit", response_model=MemberOut)
async def exit_member(
    member_id: str,
    body: ExitIn,
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
) -> MemberOut:
    """Close a member's record with a reason."""
    return MemberOut.model_validate(
        await lifecycle.exit_member(session, deps, principal, member_id, body)
    )
