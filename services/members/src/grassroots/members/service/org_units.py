"""Use cases of the organisation tree; one transaction each, committed by the caller."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.contracts.area import AreaCode, Tier
from grassroots.contracts.events.members import OrgDomain, OrgKind, OrgTier, OrgUnitCreated
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.outbox import Outbox
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound
from grassroots.members.adapters.orm import org_units
from grassroots.members.domain.org import PlacementError, UnitPlacement, check_placement


class OrgUnitIn(BaseModel):
    """Body of `POST /v1/org-units`."""

    name: str = Field(min_length=1, max_length=200)
    area_code: AreaCode
    tier: OrgTier
    kind: OrgKind
    domain: OrgDomain
    parent_id: str | None = Field(default=None, max_length=36)


class OrgUnitOut(BaseModel):
    """An organisation unit as answered."""

    id: str
    name: str
    area_code: str
    tier: str
    kind: str
    domain: str
    parent_id: str | None
    version: int


def _out(row: Any) -> OrgUnitOut:
    return OrgUnitOut.model_validate(dict(row._mapping))


async def create_org_unit(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    body: OrgUnitIn,
    *,
    deployment_prefix: str = "",
) -> OrgUnitOut:
    """Add a unit to the tree and record `org_unit_created`."""
    principal.require_role("org_admin")
    principal.require_area(body.area_code)
    if not body.area_code.startswith(deployment_prefix):
        raise Forbidden(f"this deployment serves areas {deployment_prefix}… only")
    parent_row = None
    if body.parent_id is not None:
        parent_row = (
            await session.execute(select(org_units).where(org_units.c.id == body.parent_id))
        ).first()
        if parent_row is None:
            raise Invalid("parent_id", f"no organisation unit {body.parent_id}")
    parent = UnitPlacement(parent_row.area_code, Tier(parent_row.tier)) if parent_row else None
    try:
        check_placement(UnitPlacement(body.area_code, Tier(body.tier)), parent)
    except PlacementError as exc:
        raise Invalid(exc.field, str(exc)) from exc
    duplicate = await session.scalar(
        select(org_units.c.id).where(
            org_units.c.name == body.name,
            org_units.c.parent_id == body.parent_id
            if body.parent_id
            else org_units.c.parent_id.is_(None),
        )
    )
    if duplicate:
        raise Conflict(f"a unit named {body.name!r} already exists here ({duplicate})")
    unit_id = str(uuid7())
    now = utcnow()
    path = (parent_row.path if parent_row else "/") + unit_id + "/"
    values = {
        **body.model_dump(),
        "id": unit_id,
        "path": path,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": principal.sub,
    }
    await session.execute(org_units.insert().values(**values))
    await outbox.add(
        session,
        OrgUnitCreated(
            org_unit_id=unit_id,
            name=body.name,
            area_code=body.area_code,
            tier=body.tier,
            kind=body.kind,
            domain=body.domain,
            parent_id=body.parent_id,
            version=1,
            occurred_at=now,
        ),
        area_code=body.area_code,
        aggregate_id=unit_id,
        actor=principal.sub,
    )
    return OrgUnitOut.model_validate(values)


async def get_org_unit(session: AsyncSession, principal: Principal, unit_id: str) -> OrgUnitOut:
    """One unit inside the caller's subtree."""
    row = (await session.execute(select(org_units).where(org_units.c.id == unit_id))).first()
    if row is None:
        raise NotFound(f"no organisation unit {unit_id}")
    principal.require_area(row.area_code)
    return _out(row)


async def list_org_units(
    session: AsyncSession,
    principal: Principal,
    *,
    parent_id: str | None,
    area_prefix: str,
    limit: int,
    after: str | None,
) -> tuple[list[OrgUnitOut], str | None]:
    """Units of the caller's subtree, ordered by id, optionally the children of one parent."""
    scope = principal.area_prefix
    prefix = area_prefix if area_prefix.startswith(scope) else scope
    query = select(org_units).where(org_units.c.area_code.startswith(prefix))
    if parent_id is not None:
        query = query.where(org_units.c.parent_id == parent_id)
    if after is not None:
        query = query.where(org_units.c.id > after)
    rows = (await session.execute(query.order_by(org_units.c.id).limit(limit + 1))).all()
    items = [_out(r) for r in rows[:limit]]
    next_key = items[-1].id if len(rows) > limit else None
    return items, next_key
