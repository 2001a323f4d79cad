"""Routes of publications: documents, stories and notices a unit publishes; anyone reads them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from grassroots.contracts.area import AreaCode
from grassroots.kit.auth import Principal
from grassroots.kit.guards import requires
from grassroots.kit.paging import Cursor, Limit, Page
from grassroots.notifications.entrypoints.http.deps import AppDeps, ReadSession, Session
from grassroots.notifications.entrypoints.http.schemas import PublicationOut
from grassroots.notifications.service import publications
from grassroots.notifications.service.commands import Kind, PublicationIn

router = APIRouter(prefix="/v1", tags=["publications"])

Publisher = Annotated[Principal, Depends(requires("cadre"))]


@router.post("/publications", status_code=201, response_model=PublicationOut)
async def publish(
    principal: Publisher,
    body: PublicationIn,
    response: Response,
    session: Session,
    deps: AppDeps,
) -> PublicationOut:
    """Publish in the name of the unit at `area_code` (cadre or org_admin of that subtree)."""
    published = await publications.publish(session, deps, principal, body)
    response.headers["Location"] = f"/v1/publications/{published['id']}"
    return PublicationOut(**published)


@router.get("/publications", response_model=Page[PublicationOut])
async def list_publications(
    session: ReadSession,
    kind: Kind | None = None,
    area: Annotated[
        AreaCode | None,
        Query(description="12-digit area code: its units, the units above and below it"),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PublicationOut]:
    """Publications, newest first (no token needed)."""
    items, next_cursor = await publications.list_publications(session, kind, area, limit, cursor)
    return Page(items=[PublicationOut(**p) for p in items], next_cursor=next_cursor)


@router.get("/publications/{publication_id}", response_model=PublicationOut)
async def get_publication(
    publication_id: Annotated[str, Path(max_length=36)], session: ReadSession
) -> PublicationOut:
    """One publication (no token needed)."""
    return PublicationOut(**await publications.show_publication(session, publication_id))
