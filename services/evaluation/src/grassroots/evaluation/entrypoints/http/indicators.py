"""Routes of a unit's indicators: the numbers, their spreadsheet, their trend."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from grassroots.evaluation.entrypoints.http.deps import AppDeps, CurrentPrincipal, ReadSession
from grassroots.evaluation.entrypoints.http.schemas import (
    PICTURES,
    TABLE_FILES,
    IndicatorsOut,
    file_answer,
)
from grassroots.evaluation.service import exports, indicators

router = APIRouter(prefix="/v1")


@router.get("/orgs/{org_unit_id}/indicators", response_model=IndicatorsOut, tags=["evaluation"])
async def get_indicators(
    org_unit_id: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    period: Annotated[str, Query(description="YYYY-MM, YYYY-Qn or YYYY")],
) -> IndicatorsOut:
    """Indicators of a unit and everything below it, for requests received in the period
    (approved exclusions and upheld appeals taken out)."""
    shown = await indicators.show_indicators(session, deps, principal, org_unit_id, period)
    return IndicatorsOut(**shown)


@router.get(
    "/orgs/{org_unit_id}/indicators/export",
    response_class=Response,
    responses=TABLE_FILES,
    tags=["exports"],
)
async def export_indicators(
    org_unit_id: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    period: str,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The unit's indicators (rolled up) and each child's, one row per unit."""
    file = await exports.export_indicators(session, deps, principal, org_unit_id, period, format)
    return file_answer(file)


@router.get(
    "/orgs/{org_unit_id}/trend", response_class=Response, responses=PICTURES, tags=["exports"]
)
async def trend_picture(
    org_unit_id: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    period: str,
    format: Literal["png", "svg"] = "png",
) -> Response:
    """Monthly trend of the three rates over the months of a quarter or year."""
    file = await exports.draw_trend(session, deps, principal, org_unit_id, period, format)
    return file_answer(file)
