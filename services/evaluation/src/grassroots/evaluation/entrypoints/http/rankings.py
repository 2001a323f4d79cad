"""Routes of rankings: computed or published, their publication, spreadsheet and chart."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from grassroots.evaluation.domain.scoring import DEFAULT_SCHEME
from grassroots.evaluation.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.evaluation.entrypoints.http.schemas import PICTURES, TABLE_FILES, file_answer
from grassroots.evaluation.service import exports, rankings
from grassroots.evaluation.service.commands import PublishIn
from grassroots.kit.guards import OrgAdmin
from grassroots.kit.paging import Cursor, Limit

router = APIRouter(prefix="/v1")


@router.get("/rankings", tags=["evaluation"])
async def get_ranking(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    parent: str,
    period: str,
    scheme: str = DEFAULT_SCHEME,
    version: Annotated[int | None, Query(ge=1, description="a published version")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The children of `parent` ranked under a scheme; once published, the newest version
    (or the one asked for) as it was frozen, with what it corrected."""
    return await rankings.show_ranking(
        session, deps, principal, parent, period, scheme, version, limit, cursor
    )


@router.post("/rankings/publish", status_code=201, tags=["evaluation"])
async def post_publish(
    body: PublishIn, principal: OrgAdmin, session: Session, deps: AppDeps
) -> dict[str, Any]:
    """Freeze the ranking as published (a later call publishes a corrected version) and emit
    `gr.evaluation.v1.published...`."""
    return await rankings.publish_ranking(session, deps, principal, body)


@router.get("/rankings/export", response_class=Response, responses=TABLE_FILES, tags=["exports"])
async def export_ranking(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    parent: str,
    period: str,
    scheme: str = DEFAULT_SCHEME,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The ranking as a spreadsheet: rank, unit, score, grade and the indicators behind it."""
    file = await exports.export_ranking(session, deps, principal, parent, period, scheme, format)
    return file_answer(file)


@router.get("/rankings/chart", response_class=Response, responses=PICTURES, tags=["exports"])
async def ranking_picture(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    parent: str,
    period: str,
    scheme: str = DEFAULT_SCHEME,
    format: Literal["png", "svg"] = "png",
) -> Response:
    """The ranking as bars (scored units only), to paste into a report."""
    file = await exports.draw_ranking(session, deps, principal, parent, period, scheme, format)
    return file_answer(file)
