"""Routes of the structure statistics of a subtree."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from grassroots.members.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    UnitParam,
)
from grassroots.members.entrypoints.http.schemas import StructureOut
from grassroots.members.service import stats

router = APIRouter(prefix="/v1", tags=["statistics"])


@router.get("/stats/structure", response_model=StructureOut)
async def structure(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    org_unit: UnitParam,
    as_of: date | None = None,
) -> StructureOut:
    """Structure of a subtree's active members: stage, education, gender, age, floating."""
    return StructureOut.model_validate(
        await stats.structure(session, deps, principal, org_unit, as_of)
    )
