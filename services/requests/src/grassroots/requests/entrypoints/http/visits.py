"""HTTP routes for visits (三访) and matching members to requests."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from grassroots.contracts.area import AreaCode
from grassroots.kit.guards import Cadre
from grassroots.kit.orgtree import get_unit
from grassroots.kit.paging import Cursor, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Invalid, NotFound
from grassroots.requests.entrypoints.http.deps import Ctx
from grassroots.requests.entrypoints.http.schemas import Citizen
from grassroots.requests.service import handling, visits
from grassroots.requests.service.catalog import get_item_by_id
from grassroots.requests.service.members import HoldingUnit, candidates_for

router = APIRouter(prefix="/v1")


class ProblemIn(BaseModel):
    """A problem found on a visit; it becomes a request."""

    service_code: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=4000)
    citizen: Citizen | None = None
    anonymous: bool = False
    door_to_door: bool | None = None


class VisitIn(BaseModel):
    """A visit logged by a cadre."""

    visitor_member_id: str = Field(min_length=1, max_length=64)
    kind: Literal["contact", "home", "patrol"]
    household: str = Field(min_length=1, max_length=200)
    area_code: AreaCode
    notes: str | None = Field(default=None, max_length=4000)
    visited_at: datetime | None = None
    problems: list[ProblemIn] = Field(default_factory=list, max_length=20)


class VisitOut(BaseModel):
    """A logged visit (the household and notes stay encrypted and are not answered)."""

    id: str
    org_unit_id: str
    visitor_member_id: str
    kind: str
    area_code: str
    visited_at: datetime
    problem_request_ids: list[str]


class CandidateOut(BaseModel):
    """A member who could handle the request."""

    member_id: str
    org_unit_id: str
    matched_skills: list[str]
    fit: int
    open_load: int
    distance: int
    duties: list[str]


@router.post("/visits", status_code=201, response_model=VisitOut, tags=["visits"])
async def log_visit(ctx: Ctx, principal: Cadre, body: VisitIn) -> VisitOut:
    """Log a household visit; each problem found becomes a request with channel `visit`."""
    principal.require_area(body.area_code)
    problems = [
        handling.Intake(
            service_code=p.service_code,
            area_code=body.area_code,
            description=p.description,
            channel="visit",
            anonymous=p.anonymous,
            citizen_name=p.citizen.name if p.citizen else None,
            citizen_phone=p.citizen.phone if p.citizen else None,
            door_to_door=p.door_to_door,
        )
        for p in body.problems
    ]
    visit = visits.VisitInput(
        visitor_member_id=body.visitor_member_id,
        kind=body.kind,
        household=body.household,
        area_code=body.area_code,
        notes=body.notes,
        visited_at=body.visited_at,
        problems=problems,
    )
    return VisitOut.model_validate(await visits.log_visit(ctx, visit, actor=principal.sub))


@router.get("/visits/summary", tags=["visits"])
async def visits_summary(
    ctx: Ctx,
    principal: Cadre,
    org_unit: Annotated[str, Query(min_length=1)],
    month: Annotated[str, Query(description="YYYY-MM")],
) -> dict[str, Any]:
    """Visits per cadre against the monthly quota, and the problems found and solved."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise Invalid("month", "must be YYYY-MM")
    async with ctx.db.read_only() as session:
        unit = await get_unit(session, org_unit)
    if unit is None:
        raise NotFound(f"no org unit {org_unit}")
    principal.require_area(unit.area_code)
    return await visits.monthly_summary(ctx, unit, month)


@router.get(
    "/requests/{request_id}/candidates", response_model=Page[CandidateOut], tags=["handling"]
)
async def request_candidates(
    ctx: Ctx,
    principal: Cadre,
    request_id: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    cursor: Cursor = None,
) -> Page[CandidateOut]:
    """Members of the holding unit's subtree whose skills fit, ranked by fit, load, closeness."""
    offset = decode_cursor(cursor) or 0
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= 10_000:
        raise Invalid("cursor", "not a cursor this service issued")
    row = await handling.get_request(ctx, request_id, principal)
    async with ctx.db.read_only() as session:
        item = await get_item_by_id(session, row["catalog_item_id"])
        ranked = await candidates_for(
            session,
            HoldingUnit(row["org_unit_id"], row["org_area_code"]),
            list(item["skills"]),
            row["description"],
            offset + limit + 1,
        )
    page = ranked[offset : offset + limit]
    items = [
        CandidateOut(
            member_id=c.member_id,
            org_unit_id=c.org_unit_id,
            matched_skills=list(c.matched),
            fit=c.fit,
            open_load=c.open_load,
            distance=c.distance,
            duties=list(c.duties),
        )
        for c in page
    ]
    more = len(ranked) > offset + limit
    return Page(items=items, next_cursor=encode_cursor(offset + limit) if more else None)
