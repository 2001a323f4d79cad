"""Routes of schemes: stored per county, versioned by name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from grassroots.contracts.area import AreaCode
from grassroots.evaluation.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.evaluation.entrypoints.http.schemas import SchemeOut
from grassroots.evaluation.service import schemes
from grassroots.evaluation.service.commands import SchemeIn
from grassroots.kit.guards import OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page

router = APIRouter(prefix="/v1", tags=["evaluation"])


@router.post("/schemes", response_model=SchemeOut, status_code=201)
async def post_scheme(
    body: SchemeIn, principal: OrgAdmin, session: Session, deps: AppDeps
) -> SchemeOut:
    """Store a new version of a named scheme for a county (organisation department)."""
    return SchemeOut(**await schemes.create_scheme(session, deps, principal, body))


@router.get("/schemes", response_model=Page[SchemeOut])
async def list_schemes(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    county: Annotated[AreaCode, Query(description="county area code")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SchemeOut]:
    """The built-in default and every stored version for a county, by name then version."""
    page = await schemes.list_schemes(session, deps, principal, county, limit, cursor)
    return Page(items=[SchemeOut(**r) for r in page["items"]], next_cursor=page["next_cursor"])
