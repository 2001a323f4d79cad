"""Routes of floating members: leaving, returning, lost contact, and the lists by destination."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from grassroots.kit.guards import Cadre
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.members.entrypoints.http.deps import (
    AppDeps,
    ReadSession,
    Session,
    after_of,
    page_of,
)
from grassroots.members.entrypoints.http.schemas import DestinationCount, FloatingOut, MemberOut
from grassroots.members.service import activities
from grassroots.members.service.commands import FlowOutIn, FlowReturnIn, LostContactIn

router = APIRouter(prefix="/v1", tags=["floating"])


@router.get("/members/floating", response_model=Page[FloatingOut])
async def list_floating(
    principal: Cadre,
    session: ReadSession,
    deps: AppDeps,
    org_unit: Annotated[str | None, Query(max_length=36)] = None,
    destination_area: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[FloatingOut]:
    """Floating members of the subtree, optionally gone to one destination area."""
    items, next_key = await activities.list_floating(
        session,
        deps,
        principal,
        org_unit_id=org_unit,
        destination_area=destination_area,
        limit=limit,
        after=after_of(cursor),
    )
    return page_of(FloatingOut, items, next_key)


@router.get("/members/floating/by-destination", response_model=list[DestinationCount])
async def floating_by_destination(
    principal: Cadre,
    session: ReadSession,
    deps: AppDeps,
    org_unit: Annotated[str | None, Query(max_length=36)] = None,
) -> list[DestinationCount]:
    """How many of the subtree's members float to each destination area."""
    counts = await activities.floating_by_destination(
        session, deps, principal, org_unit_id=org_unit
    )
    return [DestinationCount.model_validate(count) for count in counts]


@router.post("/members/{member_id}/flow-out", response_model=MemberOut)
async def flow_out(
    member_id: str,
    body: FlowOutIn,
    principal: Cadre,
    session: Session,
    deps: AppDeps,
) -> MemberOut:
    """Record that a member left to work or live elsewhere (floating)."""
    return MemberOut.model_validate(
        await activities.flow_out(session, deps, principal, member_id, body)
    )


@router.post("/members/{member_id}/flow-return", response_model=MemberOut)
async def flow_return(
    member_id: str,
    principal: Cadre,
    session: Session,
    deps: AppDeps,
    body: FlowReturnIn | None = None,
) -> MemberOut:
    """Record a floating member's return."""
    return MemberOut.model_validate(
        await activities.flow_return(session, deps, principal, member_id, body or FlowReturnIn())
    )


@router.post("/members/{member_id}/lost-contact", response_model=MemberOut)
async def set_lost_contact(
    member_id: str,
    body: LostContactIn,
    principal: Cadre,
    session: Session,
    deps: AppDeps,
) -> MemberOut:
    """Flag or clear loss of contact."""
    return MemberOut.model_validate(
        await activities.set_lost_contact(session, deps, principal, member_id, body)
    )
