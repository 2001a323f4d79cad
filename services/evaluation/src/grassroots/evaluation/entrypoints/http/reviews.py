"""Routes of three-way reviews (民主评议): open one, score the parts, read the results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends

from grassroots.evaluation.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.evaluation.entrypoints.http.schemas import ReviewOut
from grassroots.evaluation.service import reviews
from grassroots.evaluation.service.commands import ReviewIn, ScoreIn
from grassroots.kit.auth import Principal
from grassroots.kit.guards import Cadre, viewers_may_call
from grassroots.kit.paging import Cursor, Limit, Page

router = APIRouter(prefix="/v1", tags=["review, points, surveys, pay"])


@router.post("/evaluations", response_model=ReviewOut, status_code=201)
async def open_review(
    body: ReviewIn, principal: Cadre, session: Session, deps: AppDeps
) -> ReviewOut:
    """Open the review (民主评议) of a unit for a period; one per unit and period."""
    return ReviewOut(**await reviews.open_review(session, deps, principal, body))


@router.get("/evaluations", response_model=Page[ReviewOut])
async def list_reviews(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    org_unit: str,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReviewOut]:
    """The reviews of a unit, oldest first."""
    page = await reviews.list_reviews(session, deps, principal, org_unit, limit, cursor)
    return Page(items=[ReviewOut(**r) for r in page["items"]], next_cursor=page["next_cursor"])


async def scorer(
    part: Literal["self", "mass", "org", "unit"], principal: CurrentPrincipal
) -> Principal:
    """The caller; an organisation or work-unit score needs a cadre (403 before the body)."""
    if part in ("org", "unit"):
        principal.require_role("cadre")
    return principal


# Mass raters score with a viewer's token.
@router.post(
    "/evaluations/{review_id}/{part}", status_code=201, dependencies=[Depends(viewers_may_call)]
)
async def submit_score(
    review_id: str,
    part: Literal["self", "mass", "org", "unit"],
    body: ScoreIn,
    principal: Annotated[Principal, Depends(scorer)],
    session: Session,
    deps: AppDeps,
) -> dict[str, Any]:
    """Record one part: self by the member, mass once per rater, org and unit once each."""
    return await reviews.submit_score(session, deps, principal, review_id, part, body)


@router.get("/evaluations/{review_id}/results")
async def get_review_results(
    review_id: str, principal: CurrentPrincipal, session: ReadSession, deps: AppDeps
) -> dict[str, Any]:
    """Totals (missing parts re-weighted) and grades, with the one-third cap applied."""
    return await reviews.review_outcome(session, deps, principal, review_id)
