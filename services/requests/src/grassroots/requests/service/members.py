"""The local replica of members (skills, duties, unit) and matching members to requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.area import area_depth, area_prefix
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import (
    MemberExited,
    MemberRegistered,
    MemberTransferred,
    MemberUpdated,
)
from grassroots.contracts.streams import MEMBERS
from grassroots.kit.clock import utcnow
from grassroots.kit.db import insert_ignoring
from grassroots.kit.messaging import ConsumerSpec
from grassroots.kit.tables import org_units
from grassroots.requests.adapters.orm import members, requests
from grassroots.requests.domain.machine import OPEN_STATUSES
from grassroots.requests.domain.matching import Candidate, rank_candidates


async def _upsert(
    session: AsyncSession, member_id: str, version: int, values: dict[str, Any]
) -> None:
    """Insert or update a member; an older version never overwrites a newer one."""
    row = {"member_id": member_id, "version": version, "updated_at": utcnow(), **values}
    result = await session.execute(insert_ignoring(session, members, ["member_id"]).values(**row))
    if not result.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            update(members)
            .where(members.c.member_id == member_id, members.c.version < version)
            .values(version=version, updated_at=row["updated_at"], **values)
        )


async def apply_member_state(session: AsyncSession, event: CloudEvent) -> None:
    """A registered or updated member's public state."""
    model = MemberUpdated if event.type == MemberUpdated.event_type() else MemberRegistered
    data = model.model_validate(event.data)
    await _upsert(
        session,
        data.member_id,
        data.version,
        {
            "org_unit_id": data.org_unit_id,
            "stage": data.stage,
            "skills": list(data.skills),
            "duties": list(data.duties),
            "active": True,
        },
    )


async def apply_member_transferred(session: AsyncSession, event: CloudEvent) -> None:
    """The member now belongs to another unit."""
    data = MemberTransferred.model_validate(event.data)
    await session.execute(
        update(members)
        .where(members.c.member_id == data.member_id, members.c.version < data.version)
        .values(org_unit_id=data.org_unit_id, version=data.version, updated_at=utcnow())
    )


async def apply_member_exited(session: AsyncSession, event: CloudEvent) -> None:
    """The member left: no longer a candidate."""
    data = MemberExited.model_validate(event.data)
    await session.execute(
        update(members)
        .where(members.c.member_id == data.member_id, members.c.version < data.version)
        .values(active=False, version=data.version, updated_at=utcnow())
    )


def members_consumer() -> ConsumerSpec:
    """The consumer keeping the members replica."""
    spec = ConsumerSpec(name="members_replica", stream=MEMBERS)
    spec.handlers[MemberRegistered.event_type()] = apply_member_state
    spec.handlers[MemberUpdated.event_type()] = apply_member_state
    spec.handlers[MemberTransferred.event_type()] = apply_member_transferred
    spec.handlers[MemberExited.event_type()] = apply_member_exited
    return spec


@dataclass(frozen=True)
class HoldingUnit:
    """Where a request is held."""

    org_unit_id: str
    area_code: str


async def candidates_for(
    session: AsyncSession,
    holder: HoldingUnit,
    skills: list[str],
    description: str,
    limit: int,
) -> list[Candidate]:
    """Members of the holder's subtree whose skills fit, ranked by fit, load and closeness."""
    prefix = area_prefix(holder.area_code)
    rows = (
        await session.execute(
            select(members, org_units.c.area_code.label("unit_area"))
            .join(org_units, org_units.c.id == members.c.org_unit_id)
            .where(members.c.active.is_(True), org_units.c.area_code.startswith(prefix))
        )
    ).all()
    ids = [r.member_id for r in rows]
    loads: dict[str, int] = {}
    if ids:
        load_rows = (
            await session.execute(
                select(requests.c.handler_member_id, func.count())
                .where(
                    requests.c.handler_member_id.in_(ids),
                    requests.c.status.in_([s.value for s in OPEN_STATUSES]),
                )
                .group_by(requests.c.handler_member_id)
            )
        ).all()
        loads = {row.handler_member_id: int(row[1]) for row in load_rows}
    base = area_depth(holder.area_code)
    pool = [
        Candidate(
            member_id=r.member_id,
            org_unit_id=r.org_unit_id,
            skills=tuple(r.skills),
            duties=tuple(r.duties),
            open_load=loads.get(r.member_id, 0),
            distance=0
            if r.org_unit_id == holder.org_unit_id
            else max(1, area_depth(r.unit_area) - base),
        )
        for r in rows
    ]
    return rank_candidates(pool, skills, description)[:limit]
