"""SQL of the member registry: member rows, their skills, the county aliases, the PII audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.clock import utcnow
from grassroots.members.adapters.bulk_insert import insert_rows
from grassroots.members.adapters.orm import member_skills, members, org_units, pii_reads
from grassroots.members.adapters.orm import skill_aliases as skill_aliases_table


async def county_aliases(session: AsyncSession, county_area: str) -> dict[str, str]:
    """The skill aliases a county added to the base vocabulary."""
    rows = await session.execute(
        select(skill_aliases_table.c.alias, skill_aliases_table.c.skill).where(
            skill_aliases_table.c.county_area == county_area
        )
    )
    return {str(alias): str(skill) for alias, skill in rows.all()}


async def member_with_areas(
    session: AsyncSession, member_id: str, *, for_update: bool = False
) -> Any | None:
    """The member row with its unit's area (`unit_area`) and its community's (`community_area`)."""
    community = org_units.alias("community")
    query = (
        select(
            members,
            org_units.c.area_code.label("unit_area"),
            community.c.area_code.label("community_area"),
        )
        .join(org_units, org_units.c.id == members.c.org_unit_id)
        .outerjoin(community, community.c.id == members.c.community_org_unit_id)
        .where(members.c.id == member_id)
    )
    if for_update:
        query = query.with_for_update(of=members)
    return (await session.execute(query)).first()


async def member_for_update(session: AsyncSession, member_id: str) -> Any:
    """The member row, locked."""
    return (
        await session.execute(select(members).where(members.c.id == member_id).with_for_update())
    ).one()


async def member_with_id_number(session: AsyncSession, id_number_hash: str) -> str | None:
    """The id of the member registered with this ID number (by its look-up hash)."""
    found = await session.scalar(
        select(members.c.id).where(members.c.id_number_hash == id_number_hash)
    )
    return str(found) if found else None


async def add_member(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert a new member row and its skills."""
    await session.execute(insert(members).values(**row))
    if row["skills"]:
        await session.execute(
            insert(member_skills), [{"member_id": row["id"], "skill": s} for s in row["skills"]]
        )


async def replace_skills(session: AsyncSession, member_id: str, skills: list[str]) -> None:
    """Index a member's skills anew (none: drop them)."""
    await session.execute(delete(member_skills).where(member_skills.c.member_id == member_id))
    if skills:
        await session.execute(
            insert(member_skills), [{"member_id": member_id, "skill": s} for s in skills]
        )


async def save_member(session: AsyncSession, member_id: str, changes: dict[str, Any]) -> Any:
    """Apply changes, bump the version, and return the new row."""
    await session.execute(
        update(members)
        .where(members.c.id == member_id)
        .values(**changes, version=members.c.version + 1, updated_at=utcnow())
    )
    return (await session.execute(select(members).where(members.c.id == member_id))).one()


async def members_page(
    session: AsyncSession,
    *,
    area_prefix: str,
    status: str,
    unit_path: str | None,
    stage: str | None,
    skill: str | None,
    floating: bool | None,
    after: str | None,
    limit: int,
) -> list[Any]:
    """Up to `limit + 1` members in scope (home unit or residence community), by id."""
    # A member belongs to the unit's subtree through the home unit or, once checked in, through
    # the residence community (dual affiliation, seed 004).
    community = org_units.alias("community")
    query = (
        select(members)
        .join(org_units, org_units.c.id == members.c.org_unit_id)
        .outerjoin(community, community.c.id == members.c.community_org_unit_id)
        .where(
            or_(
                org_units.c.area_code.startswith(area_prefix),
                community.c.area_code.startswith(area_prefix),
            )
        )
        .where(members.c.status == status)
    )
    if unit_path is not None:
        query = query.where(
            or_(org_units.c.path.startswith(unit_path), community.c.path.startswith(unit_path))
        )
    if stage is not None:
        query = query.where(members.c.stage == stage)
    if floating is not None:
        query = query.where(members.c.floating.is_(floating))
    if skill is not None:
        query = query.where(
            members.c.id.in_(
                select(member_skills.c.member_id).where(member_skills.c.skill == skill)
            )
        )
    if after is not None:
        query = query.where(members.c.id > after)
    return list((await session.execute(query.order_by(members.c.id).limit(limit + 1))).all())


async def add_pii_read(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record one read of unmasked personal data."""
    await session.execute(insert(pii_reads).values(**values))


async def pii_reads_page(
    session: AsyncSession, *, area_prefix: str, member_id: str | None, after: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit + 1` recorded reads of members in scope, oldest first."""
    query = (
        select(pii_reads)
        .join(members, members.c.id == pii_reads.c.member_id)
        .join(org_units, org_units.c.id == members.c.org_unit_id)
        .where(org_units.c.area_code.startswith(area_prefix))
    )
    if member_id is not None:
        query = query.where(pii_reads.c.member_id == member_id)
    if after is not None:
        query = query.where(pii_reads.c.id > after)
    rows = (await session.execute(query.order_by(pii_reads.c.id).limit(limit + 1))).all()
    return [dict(r._mapping) for r in rows]


async def put_county_alias(session: AsyncSession, county_area: str, alias: str, skill: str) -> None:
    """Add or replace one alias of a county's vocabulary."""
    await session.execute(
        delete(skill_aliases_table).where(
            skill_aliases_table.c.county_area == county_area, skill_aliases_table.c.alias == alias
        )
    )
    await session.execute(
        insert(skill_aliases_table).values(county_area=county_area, alias=alias, skill=skill)
    )


async def county_alias_rows(session: AsyncSession, county_area: str) -> list[dict[str, Any]]:
    """A county's own aliases, by alias."""
    rows = await session.execute(
        select(skill_aliases_table)
        .where(skill_aliases_table.c.county_area == county_area)
        .order_by(skill_aliases_table.c.alias)
    )
    return [dict(r._mapping) for r in rows]


async def subtree_members_after(
    session: AsyncSession, unit_path: str, after: str, limit: int
) -> list[Any]:
    """The next `limit` members (not erased) of a subtree after the id `after`."""
    subtree = select(org_units.c.id).where(org_units.c.path.startswith(unit_path))
    rows = await session.execute(
        select(members)
        .where(members.c.org_unit_id.in_(subtree), members.c.id > after)
        .where(members.c.status != "erased")
        .order_by(members.c.id)
        .limit(limit)
    )
    return list(rows.all())


async def members_by_id(session: AsyncSession, ids: list[str]) -> list[Any]:
    """The member rows of these ids."""
    return list((await session.execute(select(members).where(members.c.id.in_(ids)))).all())


async def add_members_in_bulk(
    session: AsyncSession, rows: list[dict[str, Any]], skills: list[dict[str, str]]
) -> None:
    """Insert many new members and their skills (COPY on PostgreSQL)."""
    await insert_rows(session, members, rows)
    await insert_rows(session, member_skills, skills)


async def registered_hashes(session: AsyncSession, hashes: list[str], chunk: int) -> set[str]:
    """Which of these ID-number hashes are already registered."""
    taken: set[str] = set()
    if not hashes:
        return taken
    if session.get_bind().dialect.name == "postgresql":
        # One probe of the unique index per hash: the members table grows inside this very
        # transaction, where the planner's statistics cannot see it, and a hash join or a
        # sequential scan over it would make a large import quadratic.
        found = await session.execute(
            text(
                "SELECT h FROM unnest(CAST(:hashes AS text[])) AS h "
                "WHERE EXISTS (SELECT 1 FROM members m WHERE m.id_number_hash = h)"
            ),
            {"hashes": hashes},
        )
        taken.update(found.scalars())
        return taken
    for start in range(0, len(hashes), chunk):
        query = select(members.c.id_number_hash).where(
            members.c.id_number_hash.in_(hashes[start : start + chunk])
        )
        taken.update((await session.execute(query)).scalars())
    return taken
