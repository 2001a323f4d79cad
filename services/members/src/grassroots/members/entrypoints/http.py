"""HTTP routes of the members service."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile

from grassroots.contracts.area import area_prefix
from grassroots.kit.app import Runtime
from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.guards import OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Invalid
from grassroots.members.service import org_import, org_units

router = APIRouter(prefix="/v1", tags=["organisation tree"])


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.post("/org-units", status_code=201, response_model=org_units.OrgUnitOut)
async def create_org_unit(
    body: org_units.OrgUnitIn, principal: OrgAdmin, request: Request
) -> org_units.OrgUnitOut:
    """Add an organisation unit to the tree."""
    runtime = _runtime(request)
    async with runtime.db.transaction() as session:
        return await org_units.create_org_unit(
            session,
            runtime.outbox,
            principal,
            body,
            deployment_prefix=runtime.settings.area_prefix,
        )


@router.get("/org-units/{unit_id}", response_model=org_units.OrgUnitOut)
async def get_org_unit(
    unit_id: str, principal: CurrentPrincipal, request: Request
) -> org_units.OrgUnitOut:
    """One organisation unit."""
    async with _runtime(request).db.read_only() as session:
        return await org_units.get_org_unit(session, principal, unit_id)


@router.post("/org-units/import", response_model=org_import.OrgImportResult)
async def import_org_units(
    principal: OrgAdmin,
    request: Request,
    file: Annotated[
        UploadFile, File(description="CSV or XLSX: 名称, 区划代码, 层级, 类型, 领域, 上级")
    ],
    dry_run: Annotated[bool, Query(description="check and answer, write nothing")] = False,
) -> org_import.OrgImportResult:
    """Create a branch list's units in one go, parents first whatever the row order."""
    runtime = _runtime(request)
    async with runtime.db.transaction() as session:
        return await org_import.import_org_units(
            session,
            runtime.outbox,
            principal,
            file.filename or "",
            file.file,
            dry_run=dry_run,
            deployment_prefix=runtime.settings.area_prefix,
        )


@router.get("/org-units", response_model=Page[org_units.OrgUnitOut])
async def list_org_units(
    principal: CurrentPrincipal,
    request: Request,
    parent_id: Annotated[str | None, Query(max_length=36)] = None,
    area: Annotated[str | None, Query(pattern=r"^\d{12}$", description="area code")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[org_units.OrgUnitOut]:
    """Units inside the token's subtree, paged."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise Invalid("cursor", "not a cursor this service issued")
    async with _runtime(request).db.read_only() as session:
        items, next_key = await org_units.list_org_units(
            session,
            principal,
            parent_id=parent_id,
            area_prefix=area_prefix(area) if area else "",
            limit=limit,
            after=after,
        )
    return Page(items=items, next_cursor=encode_cursor(next_key) if next_key else None)


@router.patch("/org-units/{unit_id}", response_model=org_units.OrgUnitOut)
async def update_org_unit(
    unit_id: str, body: org_units.OrgUnitPatch, principal: OrgAdmin, request: Request
) -> org_units.OrgUnitOut:
    """Rename a unit or move it (with its subtree) under another parent; history is kept."""
    runtime = _runtime(request)
    async with runtime.db.transaction() as session:
        return await org_units.update_org_unit(session, runtime.outbox, principal, unit_id, body)


@router.get("/org-units/{unit_id}/history", response_model=list[org_units.HistoryOut])
async def unit_history(
    unit_id: str, principal: CurrentPrincipal, request: Request
) -> list[org_units.HistoryOut]:
    """Every rename and move of a unit."""
    async with _runtime(request).db.read_only() as session:
        return await org_units.unit_history(session, principal, unit_id)


@router.get("/org-units/{unit_id}/subtree", response_model=Page[org_units.OrgUnitOut])
async def list_subtree(
    unit_id: str,
    principal: CurrentPrincipal,
    request: Request,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[org_units.OrgUnitOut]:
    """A unit and every unit under it, in tree order, paged."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise Invalid("cursor", "not a cursor this service issued")
    async with _runtime(request).db.read_only() as session:
        items, next_key = await org_units.list_subtree(
            session, principal, unit_id, limit=limit, after=after
        )
    return Page(items=items, next_cursor=encode_cursor(next_key) if next_key else None)


@router.post("/org-units/{unit_id}/stations", status_code=201, response_model=org_units.StationOut)
async def add_station(
    unit_id: str, body: org_units.StationIn, principal: OrgAdmin, request: Request
) -> org_units.StationOut:
    """Attach a service station or proxy point to a unit."""
    async with _runtime(request).db.transaction() as session:
        return await org_units.add_station(session, principal, unit_id, body)


@router.get("/stations", response_model=Page[org_units.StationOut])
async def list_stations(
    principal: CurrentPrincipal,
    request: Request,
    org_unit: Annotated[str | None, Query(max_length=36)] = None,
    kind: Literal["service_center", "service_station", "proxy_point"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[org_units.StationOut]:
    """Service stations and proxy points of the token's subtree (or one unit's), paged."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise Invalid("cursor", "not a cursor this service issued")
    async with _runtime(request).db.read_only() as session:
        items, next_key = await org_units.list_stations(
            session, principal, org_unit_id=org_unit, kind=kind, limit=limit, after=after
        )
    return Page(items=items, next_cursor=encode_cursor(next_key) if next_key else None)
