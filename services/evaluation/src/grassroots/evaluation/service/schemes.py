"""Schemes: stored per county, versioned by name; `three-rates` is always available."""

from __future__ import annotations

from typing import Any

from uuid6 import uuid7

from grassroots.contracts.area import county_of
from grassroots.evaluation.adapters import schemes as store
from grassroots.evaluation.domain.schemes import builtin_row, next_version, scheme_from_definition
from grassroots.evaluation.domain.scoring import DEFAULT_SCHEME, THREE_RATES, Scheme
from grassroots.evaluation.service.commands import SchemeIn
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.paging import decode_cursor, encode_cursor
from grassroots.kit.problems import Invalid, NotFound


async def create_scheme(
    session: AsyncSession, deps: Deps, principal: Principal, command: SchemeIn
) -> dict[str, Any]:
    """Store a new version of a named scheme for a county (organisation department)."""
    principal.require_role("org_admin")
    county = command.county_area_code
    if county_of(county) != county:
        raise Invalid("county_area_code", "must be a county's code (last six digits zero)")
    principal.require_area(county)
    row = {
        "id": str(uuid7()),
        "county_area_code": county,
        "name": command.name,
        "version": next_version(
            command.name, await store.latest_version(session, county, command.name)
        ),
        "definition": command.model_dump(exclude={"county_area_code", "name"}),
        "created_by": principal.sub,
        "created_at": utcnow(),
    }
    await store.add_scheme(session, row)
    return row


async def list_schemes(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    county: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """The built-in default and every stored version for a county, by name then version."""
    principal.require_area(county)
    after = decode_cursor(cursor)
    everything = [builtin_row(county), *await store.schemes_of(session, county)]
    everything.sort(key=lambda r: (r["name"], r["version"]))
    keys = [[r["name"], r["version"]] for r in everything]
    start = keys.index(after) + 1 if after in keys else 0
    page = everything[start : start + limit]
    more = start + limit < len(everything)
    next_cursor = encode_cursor([page[-1]["name"], page[-1]["version"]]) if more else None
    return {"items": page, "next_cursor": next_cursor}


async def find_scheme(session: AsyncSession, county: str, name: str) -> Scheme:
    """The newest version of `name` for the county; the built-in default when none stored."""
    row = await store.newest_scheme(session, county, name)
    if row is not None:
        return scheme_from_definition(row["name"], row["version"], row["definition"])
    if name == DEFAULT_SCHEME:
        return THREE_RATES
    raise NotFound(f"no scheme {name!r} for county {county}")
