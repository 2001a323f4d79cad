"""HTTP routes of duplicates: the proposed list, merging a repeat report, undoing a merge."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.guards import Cadre, MemberOrAbove
from grassroots.kit.paging import Page
from grassroots.requests.entrypoints.http.deps import Ctx
from grassroots.requests.entrypoints.http.schemas import (
    DuplicateOut,
    MergeIn,
    RequestOut,
    request_out,
)
from grassroots.requests.service import merging

router = APIRouter(prefix="/v1", tags=["duplicates"])


@router.get("/requests/{request_id}/duplicates", response_model=Page[DuplicateOut])
async def list_duplicates(
    ctx: Ctx, principal: MemberOrAbove, request_id: str
) -> Page[DuplicateOut]:
    """Open requests of the same service and village within 30 days that read alike, best first."""
    found = await merging.list_duplicates(ctx, request_id, principal)
    items = [DuplicateOut(id=c.request_id, similarity=c.similarity) for c in found]
    return Page(items=items, next_cursor=None)


@router.post("/requests/{request_id}/merge", response_model=RequestOut)
async def merge_request(ctx: Ctx, principal: Cadre, request_id: str, body: MergeIn) -> RequestOut:
    """Merge this repeat report into the main request `into` (its citizen follows that one)."""
    row = await merging.merge_request(ctx, request_id, body.into, principal)
    return request_out(row, cipher=ctx.cipher)


@router.post("/requests/{request_id}/unmerge", response_model=RequestOut)
async def unmerge_request(ctx: Ctx, principal: Cadre, request_id: str) -> RequestOut:
    """Undo a merge: the request is handled on its own again."""
    row = await merging.unmerge_request(ctx, request_id, principal)
    return request_out(row, cipher=ctx.cipher)
