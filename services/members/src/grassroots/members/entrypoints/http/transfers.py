"""Routes of transfer letters: issue, list, read, and the four decisions."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from grassroots.kit.guards import Cadre, OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.members.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
    after_of,
    page_of,
)
from grassroots.members.entrypoints.http.schemas import TransferOut
from grassroots.members.service import transfers
from grassroots.members.service.commands import DecisionIn, TransferIn

router = APIRouter(prefix="/v1", tags=["transfers"])


@router.post("/members/{member_id}/transfers", status_code=201, response_model=TransferOut)
async def issue_transfer(
    member_id: str,
    body: TransferIn,
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
) -> TransferOut:
    """Issue a transfer letter valid for 90 days."""
    return TransferOut.model_validate(
        await transfers.issue_transfer(session, deps, principal, member_id, body)
    )


@router.get("/transfers", response_model=Page[TransferOut])
async def list_transfers(
    principal: Cadre,
    session: ReadSession,
    deps: AppDeps,
    direction: Literal["incoming", "outgoing", "any"] = "any",
    status: Literal["issued", "accepted", "rejected", "revoked", "expired"] | None = None,
    overdue: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TransferOut]:
    """Letters leaving or reaching the token's subtree; `overdue=true` lists open expired ones."""
    items, next_key = await transfers.list_transfers(
        session,
        deps,
        principal,
        direction=direction,
        status=status,
        overdue=overdue,
        limit=limit,
        after=after_of(cursor),
    )
    return page_of(TransferOut, items, next_key)


@router.get("/transfers/{transfer_id}", response_model=TransferOut)
async def get_transfer(
    transfer_id: str, principal: CurrentPrincipal, session: ReadSession, deps: AppDeps
) -> TransferOut:
    """One transfer letter."""
    return TransferOut.model_validate(
        await transfers.get_transfer(session, deps, principal, transfer_id)
    )


@router.post("/transfers/{transfer_id}/{action}", response_model=TransferOut)
async def decide_transfer(
    transfer_id: str,
    action: Literal["accept", "reject", "revoke", "expire"],
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
    body: DecisionIn | None = None,
) -> TransferOut:
    """Accept or reject (receiving side); revoke, or close an overdue letter (sending side)."""
    return TransferOut.model_validate(
        await transfers.decide_transfer(
            session, deps, principal, transfer_id, action, body or DecisionIn()
        )
    )
