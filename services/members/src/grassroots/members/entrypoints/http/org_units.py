"""Routes of the organisation tree: units, their history and subtrees, the branch-list import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from grassroots.contracts.area import area_prefix
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
from grassroots.members.entrypoints.http.schemas import HistoryOut, OrgImportResult, OrgUnitOut
from grassroots.members.service import org_import, org_units
from grassroots.members.service.commands import OrgUnitIn, OrgUnitPatch

router = APIRouter(prefix="/v1", tags=["organisation tree"])


@router.post("/org-units", status_code=201, response_model=OrgUnitOut)
async def create_org_unit(
    body: OrgUnitIn, principal: OrgAdmin, session: Session, deps: AppDeps
) -> OrgUnitOut:
    """Add an organisation unit to the tree."""
    return OrgUnitOut.model_validate(
        await org_units.create_org_unit(session, deps, principal, body)
    )


@router.get("/org-units/{unit_id}", response_model=OrgUnitOut)
async def get_org_unit(
    unit_id: str, principal: CurrentPrincipal, session: ReadSession, deps: AppDeps
) -> OrgUnitOut:
    """One organisation unit."""
    return OrgUnitOut.model_validate(
        await org_units.get_org_unit(session, deps, principal, unit_id)
    )


@router.post("/org-units/import", response_model=OrgImportResult)
async def import_org_units(
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
    file: Annotated[
        UploadFile, File(description="CSV or XLSX: 名称, 区划代码, 层级, 类型, 领域, 上级")
    ],
    dry_run: Annotated[bool, Query(description="check and answer, write nothing")] = False,
) -> OrgImportResult:
    """Create a branch list's units in one go, parents first whatever the row order."""
    return await org_import.import_org_units(
        session, deps, principal, file.filename or "", file.file, dry_run=dry_run
    )


@router.get("/org-units", response_model=Page[OrgUnitOut])
async def list_org_units(
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    parent_id: Annotated[str | None, Query(max_length=36)] = None,
    area: Annotated[str | None, Query(pattern=r"^\d{12}$", description="area code")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrgUnitOut]:
    """Units inside the token's subtree, paged."""
    after = after_of(cursor)
    items, next_key = await org_units.list_org_units(
        session,
        deps,
        principal,
        parent_id=parent_id,
        area_prefix=area_prefix(area) if area else "",
        limit=limit,
        after=after,
    )
    return page_of(OrgUnitOut, items, next_key)


@router.patch("/org-units/{unit_id}", response_model=OrgUnitOut)
async def update_org_unit(
    unit_id: str, body: OrgUnitPatch, principal: OrgAdmin, session: Session, deps: AppDeps
) -> OrgUnitOut:
    """Rename a unit or move it (with its subtree) under another parent; history is kept."""
    return OrgUnitOut.model_validate(
        await org_units.update_org_unit(session, deps, principal, unit_id, body)
    )


@router.get("/org-units/{unit_id}/history", response_model=list[HistoryOut])
async def unit_history(
    unit_id: str, principal: CurrentPrincipal, session: ReadSession, deps: AppDeps
) -> list[HistoryOut]:
    """Every rename and move of a unit."""
    changes = await org_units.unit_history(session, deps, principal, unit_id)
    return [HistoryOut.model_validate(change) for change in changes]


@router.get("/org-units/{unit_id}/subtree", response_model=Page[OrgUnitOut])
async def list_subtree(
    unit_id: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    deps: AppDeps,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrgUnitOut]:
    """A unit and every unit under it, in tree order, paged."""
    after = after_of(cursor)
    items, next_key = await org_units.list_subtree(
        session, deps, principal, unit_id, limit=limit, after=after
    )
    return page_of(OrgUnitOut, items, next_key)
