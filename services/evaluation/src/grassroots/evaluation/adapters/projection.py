"""Writes of the projection besides request facts: visits, members, activity, texts, points.

Each is keyed by its own id (or keeps the highest version), so any order and any repetition
leave the same rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.orm import (
    READ_MODELS,
    member_activity,
    members,
    point_items,
    request_texts,
    visits,
)
from grassroots.kit.db import dialect_insert, insert_ignoring
from grassroots.kit.tables import org_units


async def add_auto_points(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record automatic points items, once per cause."""
    if rows:
        await session.execute(insert_ignoring(session, point_items, ["id"]), rows)


async def add_visits(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record logged visits, once per visit id."""
    if rows:
        await session.execute(insert_ignoring(session, visits, ["visit_id"]), rows)


async def add_texts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record segmented request texts, once per request."""
    if rows:
        await session.execute(insert_ignoring(session, request_texts, ["request_id"]), rows)


async def add_activity(session: AsyncSession, row: dict[str, Any]) -> None:
    """Record a claimed post or a check-in, once per event id."""
    statement = dialect_insert(session)(member_activity).values(**row)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["event_id"]))


async def ensure_member(session: AsyncSession, member_id: str, org_unit_id: str) -> None:
    """A row at version 0, so whichever of registration and transfer comes first has one."""
    statement = dialect_insert(session)(members).values(
        member_id=member_id,
        org_unit_id=org_unit_id,
        stage="",
        in_service=False,
        duties=[],
        version=0,
        unit_version=0,
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["member_id"]))


async def update_profile(
    session: AsyncSession,
    member_id: str,
    *,
    stage: str,
    in_service: bool,
    duties: list[str],
    version: int,
) -> None:
    """The profile (stage, service, duties) of the highest version wins."""
    await session.execute(
        update(members)
        .where(members.c.member_id == member_id, members.c.version < version)
        .values(stage=stage, in_service=in_service, duties=duties, version=version)
    )


async def move_member(
    session: AsyncSession, member_id: str, org_unit_id: str, version: int
) -> None:
    """The unit of the highest version wins (registration, update or transfer)."""
    await session.execute(
        update(members)
        .where(members.c.member_id == member_id, members.c.unit_version < version)
        .values(org_unit_id=org_unit_id, unit_version=version)
    )


async def empty_read_models(session: AsyncSession) -> None:
    """Empty every projected table (entered state such as schemes and reviews stays)."""
    for table in READ_MODELS:
        await session.execute(delete(table))
    await session.execute(delete(point_items).where(point_items.c.source == "auto"))
    await session.execute(delete(org_units))
