"""Publications: policy documents (制度文件), experience stories (经验交流) and notices.

A cadre or an organisation department publishes one in the name of a unit inside their
subtree; anyone reads them without a token, for an area: what the units at that area, above
it and below it published. Like broadcasts, a publication is this service's own record (no
other service needs to hear of it, so it puts no event on the bus).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import or_, select

from grassroots.contracts.area import AreaCode, area_prefix, parent_area_codes
from grassroots.kit.auth import Principal
from grassroots.kit.guards import requires
from grassroots.kit.orgtree import get_unit
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Invalid, NotFound
from grassroots.kit.tables import org_units
from grassroots.notifications.adapters.orm import publications
from grassroots.notifications.service.store import new_id

router = APIRouter(prefix="/v1", tags=["publications"])

Kind = Literal["document", "story", "notice"]
Publisher = Annotated[Principal, Depends(requires("cadre"))]
# A committee speaks for its area before a branch or a group at the same code.
KIND_RANK = {"committee": 0, "general_branch": 1, "branch": 2, "group": 3}


class PublicationIn(BaseModel):
    """A document, a story or a notice, published by the unit at `area_code`."""

    kind: Kind
    area_code: AreaCode = Field(description="12-digit area code of the publishing unit")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20000)

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class PublicationOut(BaseModel):
    """A publication as anyone reads it (no author: the unit publishes)."""

    id: str
    kind: str
    org_unit_id: str
    org_unit_name: str | None
    area_code: str
    title: str
    body: str
    published_at: datetime


async def _out(session: Any, row: Any) -> PublicationOut:
    unit = await get_unit(session, row.org_unit_id)
    return PublicationOut(
        id=row.id,
        kind=row.kind,
        org_unit_id=row.org_unit_id,
        org_unit_name=unit.name if unit else None,
        area_code=row.area_code,
        title=row.title,
        body=row.body,
        published_at=row.published_at,
    )


@router.post("/publications", status_code=201, response_model=PublicationOut)
async def publish(
    request: Request, principal: Publisher, body: PublicationIn, response: Response
) -> PublicationOut:
    """Publish in the name of the unit at `area_code` (cadre or org_admin of that subtree)."""
    principal.require_area(body.area_code)
    state = request.app.state
    async with state.runtime.db.transaction() as session:
        rows = (
            await session.execute(select(org_units).where(org_units.c.area_code == body.area_code))
        ).all()
        if not rows:
            raise Invalid("area_code", "no organisation unit serves this area")
        unit = min(rows, key=lambda r: (KIND_RANK.get(r.kind, 9), r.id))
        values = {
            "id": new_id(),
            "kind": body.kind,
            "org_unit_id": unit.id,
            "area_code": body.area_code,
            "title": body.title,
            "body": body.body,
            "created_by": principal.sub,
            "published_at": state.clock(),
        }
        await session.execute(publications.insert().values(**values))
    response.headers["Location"] = f"/v1/publications/{values['id']}"
    return PublicationOut(**values, org_unit_name=unit.name)  # type: ignore[arg-type]


@router.get("/publications", response_model=Page[PublicationOut])
async def list_publications(
    request: Request,
    kind: Kind | None = None,
    area: Annotated[
        AreaCode | None,
        Query(description="12-digit area code: its units, the units above and below it"),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PublicationOut]:
    """Publications, newest first (no token needed)."""
    query = select(publications)
    if kind is not None:
        query = query.where(publications.c.kind == kind)
    if area is not None:
        query = query.where(
            or_(
                publications.c.area_code.in_(parent_area_codes(area)),
                publications.c.area_code.startswith(area_prefix(area)),
            )
        )
    after = decode_cursor(cursor)
    if after is not None:
        if not isinstance(after, str):
            raise Invalid("cursor", "not a cursor this service issued")
        query = query.where(publications.c.id < after)
    async with request.app.state.runtime.db.read_only() as session:
        rows = (
            await session.execute(query.order_by(publications.c.id.desc()).limit(limit + 1))
        ).all()
        items = [await _out(session, r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


@router.get("/publications/{publication_id}", response_model=PublicationOut)
async def get_publication(
    request: Request, publication_id: Annotated[str, Path(max_length=36)]
) -> PublicationOut:
    """One publication (no token needed)."""
    async with request.app.state.runtime.db.read_only() as session:
        row = (
            await session.execute(select(publications).where(publications.c.id == publication_id))
        ).first()
        if row is None:
            raise NotFound(f"no publication {publication_id}")
        return await _out(session, row)
