"""Routes of in-service members: community check-in, claimed posts, public commitments."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.members.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
    after_of,
    page_of,
)
from grassroots.members.entrypoints.http.schemas import CommitmentOut, MemberOut, PostOut
from grassroots.members.service import activities
from grassroots.members.service.commands import CheckInIn, CommitmentIn, PostIn

router = APIRouter(prefix="/v1", tags=["in-service members"])


@router.post("/members/{member_id}/community-checkin", response_model=MemberOut)
async def community_checkin(
    member_id: str,
    body: CheckInIn,
    principal: CurrentPrincipal,
    session: Session,
    deps: AppDeps,
) -> MemberOut:
    """An in-service member checks in at the residence community."""
    return MemberOut.model_validate(
        await activities.community_checkin(session, deps, principal, member_id, body)
    )


@router.post("/members/{member_id}/posts", status_code=201, response_model=PostOut)
async def claim_post(
    member_id: str,
    body: PostIn,
    principal: CurrentPrincipal,
    session: Session,
    deps: AppDeps,
) -> PostOut:
    """Claim a service post."""
    return PostOut.model_validate(
        await activities.claim_post(session, deps, principal, member_id, body)
    )


@router.get("/members/{member_id}/posts", response_model=Page[PostOut])
async def list_posts(
    member_id: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PostOut]:
    """A member's claimed posts, paged."""
    items, next_key = await activities.list_posts(
        session, deps, principal, member_id, limit=limit, after=after_of(cursor)
    )
    return page_of(PostOut, items, next_key)


@router.post("/members/{member_id}/commitments", status_code=201, response_model=CommitmentOut)
async def publish_commitment(
    member_id: str,
    body: CommitmentIn,
    principal: CurrentPrincipal,
    session: Session,
    deps: AppDeps,
) -> CommitmentOut:
    """Publish a public commitment."""
    return CommitmentOut.model_validate(
        await activities.publish_commitment(session, deps, principal, member_id, body)
    )


@router.get("/members/{member_id}/commitments", response_model=Page[CommitmentOut])
async def list_commitments(
    member_id: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CommitmentOut]:
    """A member's public commitments, paged."""
    items, next_key = await activities.list_commitments(
        session, deps, principal, member_id, limit=limit, after=after_of(cursor)
    )
    return page_of(CommitmentOut, items, next_key)
