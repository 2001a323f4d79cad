"""The public service guide and its items (`/v1/catalog`): read by all, written by org admins."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query

from grassroots.contracts.area import TIER_DEPTH, Tier, area_depth, check_area_code
from grassroots.kit.auth import Principal
from grassroots.kit.guards import OrgAdmin
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Forbidden, Invalid, NotFound
from grassroots.requests.entrypoints.http.deps import Ctx
from grassroots.requests.entrypoints.http.schemas import CatalogItemIn, CatalogItemOut, item_out
from grassroots.requests.service import catalog

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1")


COUNTY_DEPTH = TIER_DEPTH[Tier.COUNTY]


@router.get("/catalog", response_model=Page[CatalogItemOut], tags=["catalogue"])
async def list_catalog(
    ctx: Ctx,
    county: Annotated[str | None, Query(description="12-digit county area code")] = None,
    category: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CatalogItemOut]:
    """The public service guide: active items of a county's catalogue."""
    if county is not None:
        _area(county, "county")
    rows = await catalog.list_items(
        ctx, county, after=decode_cursor(cursor), limit=limit + 1, category=category
    )
    items = [item_out(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


@router.get("/catalog/{county}/{code}", response_model=CatalogItemOut, tags=["catalogue"])
async def get_catalog_item(ctx: Ctx, county: str, code: str) -> CatalogItemOut:
    """One item of the service guide."""
    _area(county, "county")
    async with ctx.db.read_only() as session:
        row = await catalog.find_item(session, county, code)
    if row is None:
        raise NotFound(f"no catalogue item {code} in {county}")
    return item_out(row)


@router.post("/catalog", status_code=201, response_model=CatalogItemOut, tags=["catalogue"])
async def create_catalog_item(ctx: Ctx, principal: OrgAdmin, body: CatalogItemIn) -> CatalogItemOut:
    """Add an item to a county's catalogue (org_admin)."""
    county = _catalog_county(principal, body.county_area)
    return item_out(await catalog.create_item(ctx, county, _item_fields(body)))


def _catalog_county(principal: Principal, county_area: str | None) -> str:
    """The county a catalogue write is for: the caller's own (a token at county level or
    below), or the one named by a caller above county level, inside its scope."""
    if area_depth(principal.org) >= COUNTY_DEPTH:
        own = catalog.county_of(principal.org)
        if county_area is not None and catalog.county_of(county_area) != own:
            raise Forbidden(f"county {county_area} is not this token's county ({own})")
        return own
    if county_area is None:
        raise Invalid("county_area", "needed from a caller above county level")
    county = catalog.county_of(county_area)
    principal.require_area(county)
    return county


@router.put("/catalog/{county}/{code}", response_model=CatalogItemOut, tags=["catalogue"])
async def update_catalog_item(
    ctx: Ctx, principal: OrgAdmin, county: str, code: str, body: CatalogItemIn
) -> CatalogItemOut:
    """Replace an item's definition (org_admin)."""
    _area(county, "county")
    principal.require_area(county)
    if body.code != code:
        raise Invalid("code", "must match the item's path")
    if body.county_area is not None and catalog.county_of(body.county_area) != county:
        raise Invalid("county_area", "must match the item's path")
    return item_out(await catalog.update_item(ctx, county, code, _item_fields(body)))


def _item_fields(body: CatalogItemIn) -> dict[str, Any]:
    fields = body.model_dump(mode="json")
    fields.pop("county_area")
    return fields


def _area(value: str, field: str) -> str:
    try:
        return check_area_code(value)
    except ValueError as exc:
        raise Invalid(field, str(exc)) from exc
