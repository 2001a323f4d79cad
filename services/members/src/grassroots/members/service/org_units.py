"""Use cases of the organisation tree; one transaction each, committed by the caller."""

from __future__ import annotations

from typing import Any

from uuid6 import uuid7

from grassroots.contracts.area import Tier
from grassroots.contracts.events.members import OrgUnitCreated, OrgUnitUpdated
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound
from grassroots.members.adapters import units as repo
from grassroots.members.domain.org import PlacementError, UnitPlacement, check_placement
from grassroots.members.service.commands import OrgUnitIn, OrgUnitPatch, StationIn
from grassroots.members.service.deps import Deps


def unit_view(row: Any) -> dict[str, Any]:
    """The answer for a unit row."""
    return dict(row._mapping)


async def _unit_in_scope(session: AsyncSession, principal: Principal, unit_id: str) -> Any:
    row = await repo.unit(session, unit_id)
    if row is None:
        raise NotFound(f"no organisation unit {unit_id}")
    principal.require_area(row.area_code)
    return row


async def create_org_unit(
    session: AsyncSession, deps: Deps, principal: Principal, body: OrgUnitIn
) -> dict[str, Any]:
    """Add a unit to the tree and record `org_unit_created`."""
    principal.require_role("org_admin")
    principal.require_area(body.area_code)
    deployment_prefix = deps.deployment_prefix
    if not body.area_code.startswith(deployment_prefix):
        raise Forbidden(f"this deployment serves areas {deployment_prefix}… only")
    parent_row = None
    if body.parent_id is not None:
        parent_row = await repo.unit(session, body.parent_id)
        if parent_row is None:
            raise Invalid("parent_id", f"no organisation unit {body.parent_id}")
    parent = UnitPlacement(parent_row.area_code, Tier(parent_row.tier)) if parent_row else None
    try:
        check_placement(UnitPlacement(body.area_code, Tier(body.tier)), parent)
    except PlacementError as exc:
        raise Invalid(exc.field, str(exc)) from exc
    duplicate = await repo.unit_named(session, body.name, body.parent_id)
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
    await repo.add_unit(session, values)
    await deps.outbox.add(
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
    return values


async def get_org_unit(
    session: AsyncSession, deps: Deps, principal: Principal, unit_id: str
) -> dict[str, Any]:
    """One unit inside the caller's subtree."""
    return unit_view(await _unit_in_scope(session, principal, unit_id))


async def list_org_units(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    *,
    parent_id: str | None,
    area_prefix: str,
    limit: int,
    after: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Units of the caller's subtree, ordered by id, optionally the children of one parent."""
    scope = principal.area_prefix
    prefix = area_prefix if area_prefix.startswith(scope) else scope
    rows = await repo.units_page(
        session, area_prefix=prefix, parent_id=parent_id, after=after, limit=limit
    )
    items = [unit_view(r) for r in rows[:limit]]
    next_key = items[-1]["id"] if len(rows) > limit else None
    return items, next_key


async def update_org_unit(
    session: AsyncSession, deps: Deps, principal: Principal, unit_id: str, body: OrgUnitPatch
) -> dict[str, Any]:
    """Rename or move a unit (its subtree moves with it), keep the history, emit the new state."""
    principal.require_role("org_admin")
    row = await repo.unit(session, unit_id, for_update=True)
    if row is None:
        raise NotFound(f"no organisation unit {unit_id}")
    principal.require_area(row.area_code)
    given = body.model_dump(exclude_unset=True)
    name = given.get("name") or row.name
    parent_id = given.get("parent_id", row.parent_id)
    moved = parent_id != row.parent_id
    if name == row.name and not moved:
        return unit_view(row)
    new_path = row.path
    if moved:
        if parent_id is None:
            raise Invalid("parent_id", "a unit cannot be moved to the top of the tree")
        parent = await repo.unit(session, parent_id)
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
    duplicate = await repo.unit_named(session, name, parent_id, excluding=unit_id)
    if duplicate:
        raise Conflict(f"a unit named {name!r} already exists there ({duplicate})")
    now = utcnow()
    if moved:
        await repo.reroot_subtree(session, row.path, new_path)
    version = row.version + 1
    new = await repo.set_unit(
        session,
        unit_id,
        {"name": name, "parent_id": parent_id, "version": version, "updated_at": now},
    )
    change = "move+rename" if moved and name != row.name else ("move" if moved else "rename")
    await repo.add_history(
        session,
        {
            "org_unit_id": unit_id,
            "version": version,
            "change": change,
            "name": name,
            "parent_id": parent_id,
            "previous_name": row.name,
            "previous_parent_id": row.parent_id,
            "changed_at": now,
            "changed_by": principal.sub,
        },
    )
    await deps.outbox.add(
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
    return unit_view(new)


async def unit_history(
    session: AsyncSession, deps: Deps, principal: Principal, unit_id: str
) -> list[dict[str, Any]]:
    """Every rename and move of a unit, oldest first."""
    await _unit_in_scope(session, principal, unit_id)
    return await repo.history_of(session, unit_id)


async def list_subtree(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    unit_id: str,
    *,
    limit: int,
    after: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A unit and everything under it, in tree order (by materialised path), paged."""
    row = await _unit_in_scope(session, principal, unit_id)
    rows = await repo.subtree_page(session, row.path, after=after, limit=limit)
    items = rows[:limit]
    next_key = items[-1].path if len(rows) > limit else None
    return [unit_view(r) for r in items], next_key


async def add_station(
    session: AsyncSession, deps: Deps, principal: Principal, unit_id: str, body: StationIn
) -> dict[str, Any]:
    """Attach a service station or proxy point to a unit."""
    principal.require_role("org_admin")
    row = await _unit_in_scope(session, principal, unit_id)
    duplicate = await repo.station_named(session, unit_id, body.name)
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
    await repo.add_station(session, values)
    return values


async def list_stations(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    *,
    org_unit_id: str | None,
    kind: str | None,
    limit: int,
    after: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Stations inside the caller's subtree (or one unit's subtree), paged."""
    unit_path = None
    if org_unit_id is not None:
        unit = await repo.unit(session, org_unit_id)
        if unit is None:
            raise Invalid("org_unit", f"no organisation unit {org_unit_id}")
        principal.require_area(unit.area_code)
        unit_path = unit.path
    rows = await repo.stations_page(
        session,
        area_prefix=principal.area_prefix,
        unit_path=unit_path,
        kind=kind,
        after=after,
        limit=limit,
    )
    items = rows[:limit]
    return items, items[-1]["id"] if len(rows) > limit else None
