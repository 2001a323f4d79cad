"""Use cases of the organisation tree; one transaction each, committed by the caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.contracts.area import AreaCode, Tier
from grassroots.contracts.events.members import (
    OrgDomain,
    OrgKind,
    OrgTier,
    OrgUnitCreated,
    OrgUnitUpdated,
)
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.outbox import Outbox
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound
from grassroots.members.adapters.orm import org_unit_history, org_units, stations
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


class OrgUnitPatch(BaseModel):
    """Body of `PATCH /v1/org-units/{id}`: rename and/or move under another parent."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: str | None = Field(default=None, max_length=36)


class HistoryOut(BaseModel):
    """One change in a unit's history."""

    version: int
    change: str
    name: str
    parent_id: str | None
    previous_name: str | None
    previous_parent_id: str | None
    changed_at: datetime
    changed_by: str


class StationIn(BaseModel):
    """Body of `POST /v1/org-units/{id}/stations`."""

    kind: Literal["service_center", "service_station", "proxy_point"]
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    opening_hours: str | None = Field(default=None, max_length=200)


class StationOut(StationIn):
    """A service station or proxy point attached to a unit."""

    id: str
    org_unit_id: str
    area_code: str


async def update_org_unit(
    session: AsyncSession, outbox: Outbox, principal: Principal, unit_id: str, body: OrgUnitPatch
) -> OrgUnitOut:
    """Rename or move a unit (its subtree moves with it), keep the history, emit the new state."""
    principal.require_role("org_admin")
    row = (
        await session.execute(select(org_units).where(org_units.c.id == unit_id).with_for_update())
    ).first()
    if row is None:
        raise NotFound(f"no organisation unit {unit_id}")
    principal.require_area(row.area_code)
    given = body.model_dump(exclude_unset=True)
    name = given.get("name") or row.name
    parent_id = given.get("parent_id", row.parent_id)
    moved = parent_id != row.parent_id
    if name == row.name and not moved:
        return _out(row)
    new_path = row.path
    if moved:
        if parent_id is None:
            raise Invalid("parent_id", "a unit cannot be moved to the top of the tree")
        parent = (
            await session.execute(select(org_units).where(org_units.c.id == parent_id))
        ).first()
        if parent is None:
            raise Invalid("parent_id", f"no organisation unit {parent_id}")
        principal.require_area(parent.area_code)
        if parent.path.startswith(row.path):
            raise Invalid("parent_id", "a unit cannot move under itself or its own subtree")
        try:
            check_placement(
                UnitPlacement(row.area_code, Tier(row.tier)),
                UnitPlacement(parent.area_code, Tier(parent.tier)),
            )
        except PlacementError as exc:
            raise Invalid(exc.field, str(exc)) from exc
        new_path = parent.path + unit_id + "/"
    duplicate = await session.scalar(
        select(org_units.c.id).where(
            org_units.c.name == name,
            org_units.c.parent_id == parent_id,
            org_units.c.id != unit_id,
        )
    )
    if duplicate:
        raise Conflict(f"a unit named {name!r} already exists there ({duplicate})")
    now = utcnow()
    if moved:
        # One statement re-roots the whole subtree's materialised paths.
        await session.execute(
            update(org_units)
            .where(org_units.c.path.startswith(row.path))
            .values(path=literal(new_path) + func.substr(org_units.c.path, len(row.path) + 1))
        )
    version = row.version + 1
    await session.execute(
        update(org_units)
        .where(org_units.c.id == unit_id)
        .values(name=name, parent_id=parent_id, version=version, updated_at=now)
    )
    change = "move+rename" if moved and name != row.name else ("move" if moved else "rename")
    await session.execute(
        insert(org_unit_history).values(
            org_unit_id=unit_id,
            version=version,
            change=change,
            name=name,
            parent_id=parent_id,
            previous_name=row.name,
            previous_parent_id=row.parent_id,
            changed_at=now,
            changed_by=principal.sub,
        )
    )
    await outbox.add(
        session,
        OrgUnitUpdated(
            org_unit_id=unit_id,
            name=name,
            area_code=row.area_code,
            tier=row.tier,
            kind=row.kind,
            domain=row.domain,
            parent_id=parent_id,
            version=version,
            occurred_at=now,
        ),
        area_code=row.area_code,
        aggregate_id=unit_id,
        actor=principal.sub,
    )
    new = (await session.execute(select(org_units).where(org_units.c.id == unit_id))).one()
    return _out(new)


async def unit_history(
    session: AsyncSession, principal: Principal, unit_id: str
) -> list[HistoryOut]:
    """Every rename and move of a unit, oldest first."""
    await get_org_unit(session, principal, unit_id)
    rows = await session.execute(
        select(org_unit_history)
        .where(org_unit_history.c.org_unit_id == unit_id)
        .order_by(org_unit_history.c.version)
    )
    return [HistoryOut.model_validate(dict(r._mapping)) for r in rows]


async def list_subtree(
    session: AsyncSession, principal: Principal, unit_id: str, *, limit: int, after: str | None
) -> tuple[list[OrgUnitOut], str | None]:
    """A unit and everything under it, in tree order (by materialised path), paged."""
    row = (await session.execute(select(org_units).where(org_units.c.id == unit_id))).first()
    if row is None:
        raise NotFound(f"no organisation unit {unit_id}")
    principal.require_area(row.area_code)
    query = select(org_units).where(org_units.c.path.startswith(row.path))
    if after is not None:
        query = query.where(org_units.c.path > after)
    rows = (await session.execute(query.order_by(org_units.c.path).limit(limit + 1))).all()
    items = rows[:limit]
    next_key = items[-1].path if len(rows) > limit else None
    return [_out(r) for r in items], next_key


async def add_station(
    session: AsyncSession, principal: Principal, unit_id: str, body: StationIn
) -> StationOut:
    """Attach a service station or proxy point to a unit."""
    principal.require_role("org_admin")
    row = (await session.execute(select(org_units).where(org_units.c.id == unit_id))).first()
    if row is None:
        raise NotFound(f"no organisation unit {unit_id}")
    principal.require_area(row.area_code)
    duplicate = await session.scalar(
        select(stations.c.id).where(stations.c.org_unit_id == unit_id, stations.c.name == body.name)
    )
    if duplicate:
        raise Conflict(f"the unit already has a station named {body.name!r} ({duplicate})")
    values = {
        **body.model_dump(),
        "id": str(uuid7()),
        "org_unit_id": unit_id,
        "area_code": row.area_code,
        "created_at": utcnow(),
        "created_by": principal.sub,
    }
    await session.execute(insert(stations).values(**values))
    return StationOut.model_validate(values)


async def list_stations(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: str | None,
    kind: str | None,
    limit: int,
    after: str | None,
) -> tuple[list[StationOut], str | None]:
    """Stations inside the caller's subtree (or one unit's subtree), paged."""
    query = (
        select(stations)
        .join(org_units, org_units.c.id == stations.c.org_unit_id)
        .where(org_units.c.area_code.startswith(principal.area_prefix))
    )
    if org_unit_id is not None:
        unit = (
            await session.execute(select(org_units).where(org_units.c.id == org_unit_id))
        ).first()
        if unit is None:
            raise Invalid("org_unit", f"no organisation unit {org_unit_id}")
        principal.require_area(unit.area_code)
        query = query.where(org_units.c.path.startswith(unit.path))
    if kind is not None:
        query = query.where(stations.c.kind == kind)
    if after is not None:
        query = query.where(stations.c.id > after)
    rows = (await session.execute(query.order_by(stations.c.id).limit(limit + 1))).all()
    items = [StationOut.model_validate(dict(r._mapping)) for r in rows[:limit]]
    return items, items[-1].id if len(rows) > limit else None
