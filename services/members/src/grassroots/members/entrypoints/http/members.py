"""Routes of the member registry: register, read (masked), change, erase, audited reveal."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from grassroots.kit.guards import Cadre, OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.members.domain.lifecycle import Stage
from grassroots.members.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
    after_of,
    page_of,
)
from grassroots.members.entrypoints.http.schemas import MemberOut, PiiReadOut, RevealOut
from grassroots.members.service import registry
from grassroots.members.service.commands import MemberIn, MemberPatch, RevealIn

router = APIRouter(prefix="/v1")


@router.post("/members", status_code=201, response_model=MemberOut, tags=["members"])
async def register_member(
    body: MemberIn, principal: Cadre, session: Session, deps: AppDeps
) -> MemberOut:
    """Enter a member in the registry (ID number validated, personal data encrypted)."""
    return MemberOut.model_validate(await registry.register_member(session, deps, principal, body))


@router.get("/members", response_model=Page[MemberOut], tags=["members"])
async def list_members(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    org_unit: Annotated[str | None, Query(max_length=36)] = None,
    stage: Stage | None = None,
    skill: Annotated[str | None, Query(max_length=32)] = None,
    status: Literal["active", "exited", "erased"] = "active",
    floating: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MemberOut]:
    """Members of the token's subtree (or of one unit's subtree), masked and paged."""
    items, next_key = await registry.list_members(
        session,
        deps,
        principal,
        org_unit_id=org_unit,
        stage=stage,
        skill=skill,
        status=status,
        floating=floating,
        limit=limit,
        after=after_of(cursor),
    )
    return page_of(MemberOut, items, next_key)


@router.get("/members/{member_id}", response_model=MemberOut, tags=["members"])
async def get_member(
    member_id: str, principal: CurrentPrincipal, session: ReadSession, deps: AppDeps
) -> MemberOut:
    """One member, masked."""
    return MemberOut.model_validate(await registry.get_member(session, deps, principal, member_id))


@router.patch("/members/{member_id}", response_model=MemberOut, tags=["members"])
async def update_member(
    member_id: str,
    body: MemberPatch,
    principal: Cadre,
    session: Session,
    deps: AppDeps,
) -> MemberOut:
    """Change fields of a member's record."""
    return MemberOut.model_validate(
        await registry.update_member(session, deps, principal, member_id, body)
    )


@router.delete("/members/{member_id}", status_code=204, tags=["members"])
async def erase_member(
    member_id: str, principal: OrgAdmin, session: Session, deps: AppDeps
) -> Response:
    """Erase a member's personal data (PIPL deletion)."""
    await registry.erase_member(session, deps, principal, member_id)
    return Response(status_code=204)


@router.post("/members/{member_id}/reveal", response_model=RevealOut, tags=["members"])
async def reveal_member(
    member_id: str,
    body: RevealIn,
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
) -> RevealOut:
    """Unmasked ID number and phone (org_admin and above, with a reason; every read is logged)."""
    return RevealOut.model_validate(
        await registry.reveal_member(session, deps, principal, member_id, body)
    )


@router.get("/audit/pii-reads", response_model=Page[PiiReadOut], tags=["members"])
async def list_pii_reads(
    principal: OrgAdmin,
    session: ReadSession,
    deps: AppDeps,
    member_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PiiReadOut]:
    """Who read unmasked personal data, when and why."""
    after = after_of(cursor, int)
    items, next_key = await registry.list_pii_reads(
        session, deps, principal, member_id=member_id, limit=limit, after=after
    )
    return page_of(PiiReadOut, items, next_key)
