"""Routes of service stations and proxy points attached to organisation units."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from grassroots.kit.guards import OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.members.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
    after_of,
    page_of,
)
from grassroots.members.entrypoints.http.schemas import StationOut
from grassroots.members.service import org_units
from grassroots.members.service.commands import StationIn

router = APIRouter(prefix="/v1", tags=["organisation tree"])


@router.post("/org-units/{unit_id}/stations", status_code=201, response_model=StationOut)
async def add_station(
    unit_id: str, body: StationIn, principal: OrgAdmin, session: Session, deps: AppDeps
) -> StationOut:
    """Attach a service station or proxy point to a unit."""
    return StationOut.model_validate(
        await org_units.add_station(session, deps, principal, unit_id, body)
    )


@router.get("/stations", response_model=Page[StationOut])
async def list_stations(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    org_unit: Annotated[str | None, Query(max_length=36)] = None,
    kind: Literal["service_center", "service_station", "proxy_point"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[StationOut]:
    """Service stations and proxy points of the token's subtree (or one unit's), paged."""
    after = after_of(cursor)
    items, next_key = await org_units.list_stations(
        session, deps, principal, org_unit_id=org_unit, kind=kind, limit=limit, after=after
    )
    return page_of(StationOut, items, next_key)
