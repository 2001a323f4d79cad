"""Routes of village cadres' pay."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from grassroots.evaluation.domain.scoring import DEFAULT_SCHEME
from grassroots.evaluation.entrypoints.http.deps import AppDeps, ReadSession
from grassroots.evaluation.service import pay
from grassroots.kit.guards import Cadre

router = APIRouter(prefix="/v1", tags=["review, points, surveys, pay"])


@router.get("/pay")
async def get_pay(
    principal: Cadre,
    session: ReadSession,
    deps: AppDeps,
    org_unit: str,
    period: str,
    scheme: Annotated[str, Query()] = DEFAULT_SCHEME,
    subsidy_per_year: Annotated[float | None, Query(ge=0)] = None,
    base_share: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> dict[str, Any]:
    """Village cadres' pay: base share and a performance share scaled by the unit's score."""
    return await pay.show_pay(
        session, deps, principal, org_unit, period, scheme, subsidy_per_year, base_share
    )
