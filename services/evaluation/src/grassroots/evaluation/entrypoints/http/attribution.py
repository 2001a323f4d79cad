"""Routes of attribution: the requests behind each of a unit's counts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from grassroots.evaluation.entrypoints.http.deps import AppDeps, CurrentPrincipal, ReadSession
from grassroots.evaluation.entrypoints.http.schemas import TABLE_FILES, file_answer
from grassroots.evaluation.service import exports, fairness
from grassroots.kit.paging import Cursor, Limit

router = APIRouter(prefix="/v1", tags=["fairness"])


@router.get("/orgs/{org_unit_id}/attribution")
async def get_attribution(
    org_unit_id: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    period: Annotated[str, Query(description="YYYY-MM, YYYY-Qn or YYYY")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Each request received by the unit's subtree in the period and what it counts in."""
    return await fairness.show_attribution(
        session, deps, principal, org_unit_id, period, limit, cursor
    )


@router.get(
    "/orgs/{org_unit_id}/attribution/export", response_class=Response, responses=TABLE_FILES
)
async def export_attribution(
    org_unit_id: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    period: str,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The attribution as a spreadsheet, one row per request, headers in Chinese."""
    file = await exports.export_attribution(session, deps, principal, org_unit_id, period, format)
    return file_answer(file)
