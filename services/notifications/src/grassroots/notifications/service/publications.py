"""Use cases of publications: policy documents (制度文件), experience stories (经验交流), notices.

A cadre or an organisation department publishes one in the name of a unit inside their
subtree; anyone reads them without a token, for an area: what the units at that area, above
it and below it published. Like broadcasts, a publication is this service's own record (no
other service needs to hear of it, so it puts no event on the bus).
"""

from __future__ import annotations

from typing import Any

from grassroots.contracts.area import area_prefix, parent_area_codes
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.orgtree import get_unit
from grassroots.kit.paging import decode_cursor
from grassroots.kit.problems import Invalid, NotFound
from grassroots.notifications.adapters import board as repo
from grassroots.notifications.domain.notification import new_id
from grassroots.notifications.service.commands import PublicationIn
from grassroots.notifications.service.deps import Deps
from grassroots.notifications.service.pages import page_of

# A committee speaks for its area before a branch or a group at the same code.
KIND_RANK = {"committee": 0, "general_branch": 1, "branch": 2, "group": 3}


async def _shown(session: AsyncSession, row: Any) -> dict[str, Any]:
    unit = await get_unit(session, row.org_unit_id)
    return {
        "id": row.id,
        "kind": row.kind,
        "org_unit_id": row.org_unit_id,
        "org_unit_name": unit.name if unit else None,
        "area_code": row.area_code,
        "title": row.title,
        "body": row.body,
        "published_at": row.published_at,
    }


async def publish(
    session: AsyncSession, deps: Deps, principal: Principal, body: PublicationIn
) -> dict[str, Any]:
    """Publish in the name of the unit at `area_code` (cadre or org_admin of that subtree)."""
    principal.require_area(body.area_code)
    rows = await repo.units_at(session, body.area_code)
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
        "published_at": deps.clock(),
    }
    await repo.add_publication(session, values)
    shown = {k: v for k, v in values.items() if k != "created_by"}
    return shown | {"org_unit_name": unit.name}


async def list_publications(
    session: AsyncSession, kind: str | None, area: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Publications, newest first: an area's own, those above it and below it."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise Invalid("cursor", "not a cursor this service issued")
    rows = await repo.list_publications(
        session,
        kind=kind,
        enclosing=parent_area_codes(area) if area is not None else None,
        under_prefix=area_prefix(area) if area is not None else None,
        before=after,
        limit=limit,
    )
    items, next_cursor = page_of(rows, limit)
    return [await _shown(session, r) for r in items], next_cursor


async def show_publication(session: AsyncSession, publication_id: str) -> dict[str, Any]:
    """One publication."""
    row = await repo.get_publication(session, publication_id)
    if row is None:
        raise NotFound(f"no publication {publication_id}")
    return await _shown(session, row)
