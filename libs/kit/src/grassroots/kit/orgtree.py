"""A local, idempotent replica of the organisation tree, fed by `gr.members` events.

Requests route by it, evaluation ranks by it, notifications address by it; each service keeps
its own copy in its own database, so no service reads another's tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.area import area_prefix, parent_area_codes
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated, OrgUnitUpdated
from grassroots.contracts.streams import MEMBERS
from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import insert_ignoring
from grassroots.kit.messaging import ConsumerSpec
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.tables import org_units


@dataclass(frozen=True)
class OrgUnitView:
    """One unit as the replica knows it."""

    id: str
    name: str
    area_code: str
    tier: str
    kind: str
    domain: str
    parent_id: str | None
    version: int


async def apply_org_unit(session: AsyncSession, event: CloudEvent) -> None:
    """Upsert a unit from a created/updated event; an older version never overwrites a newer."""
    model = OrgUnitUpdated if event.type == OrgUnitUpdated.event_type() else OrgUnitCreated
    data = model.model_validate(event.data)
    values = {
        "id": data.org_unit_id,
        "name": data.name,
        "area_code": data.area_code,
        "tier": data.tier,
        "kind": data.kind,
        "domain": data.domain,
        "parent_id": data.parent_id,
        "version": data.version,
        "updated_at": utcnow(),
    }
    statement = insert_ignoring(session, org_units, ["id"]).values(**values)
    result = await session.execute(statement)
    if not result.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            update(org_units)
            .where(org_units.c.id == data.org_unit_id, org_units.c.version < data.version)
            .values(**values)
        )


def org_tree_consumer() -> ConsumerSpec:
    """The consumer keeping the replica: created and updated units."""
    spec = ConsumerSpec(name="org_tree", stream=MEMBERS)
    spec.handlers[OrgUnitCreated.event_type()] = apply_org_unit
    spec.handlers[OrgUnitUpdated.event_type()] = apply_org_unit
    return spec


def _view(row: object) -> OrgUnitView:
    m = row._mapping  # type: ignore[attr-defined]
    return OrgUnitView(**{k: m[k] for k in OrgUnitView.__dataclass_fields__})


async def get_unit(session: AsyncSession, org_unit_id: str) -> OrgUnitView | None:
    """A unit by id, or None."""
    row = (await session.execute(select(org_units).where(org_units.c.id == org_unit_id))).first()
    return _view(row) if row else None


async def unit_serving(session: AsyncSession, area_code: str) -> OrgUnitView | None:
    """The deepest unit whose area encloses `area_code` (a village's unit before its township's)."""
    enclosing = [*parent_area_codes(area_code), area_code]
    rows = (
        await session.execute(select(org_units).where(org_units.c.area_code.in_(enclosing)))
    ).all()
    candidates = [_view(r) for r in rows]
    if not candidates:
        return None
    rank = {"committee": 0, "general_branch": 1, "branch": 2, "group": 3}
    candidates.sort(key=lambda u: (-len(area_prefix(u.area_code)), rank.get(u.kind, 9), u.id))
    return candidates[0]


async def count_units(session: AsyncSession) -> int:
    """How many units the replica holds."""
    return int(await session.scalar(select(func.count()).select_from(org_units)) or 0)


def replica_router() -> APIRouter:
    """`GET /v1/org-tree`: the units this service's replica knows, inside the token's subtree."""
    router = APIRouter(prefix="/v1", tags=["organisation tree replica"])

    @router.get("/org-tree", response_model=Page[OrgUnitOut])
    async def list_replica_units(
        principal: CurrentPrincipal,
        request: Request,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[OrgUnitOut]:
        after = decode_cursor(cursor)
        query = select(org_units).where(org_units.c.area_code.startswith(principal.area_prefix))
        if after is not None:
            query = query.where(org_units.c.id > str(after))
        async with request.app.state.runtime.db.read_only() as session:
            rows = (await session.execute(query.order_by(org_units.c.id).limit(limit + 1))).all()
        items = [OrgUnitOut(**asdict(_view(r))) for r in rows[:limit]]
        next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    return router


class OrgUnitOut(BaseModel):
    """A replicated unit as answered."""

    id: str
    name: str
    area_code: str
    tier: str
    kind: str
    domain: str
    parent_id: str | None
    version: int
