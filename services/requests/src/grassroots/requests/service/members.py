"""The local replica of members (skills, duties, unit) and matching members to requests."""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.contracts.area import area_depth
from grassroots.contracts.events.members import (
    MemberExited,
    MemberRegistered,
    MemberTransferred,
    MemberUpdated,
)
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.requests.adapters import repository
from grassroots.requests.domain.matching import Candidate, rank_candidates


async def record_member_state(
    session: AsyncSession, data: MemberRegistered | MemberUpdated
) -> None:
    """A registered or updated member's public state."""
    await repository.upsert_member(
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
        utcnow(),
    )


async def record_member_transfer(session: AsyncSession, data: MemberTransferred) -> None:
    """The member now belongs to another unit."""
    await repository.change_member(
        session, data.member_id, data.version, {"org_unit_id": data.org_unit_id}, utcnow()
    )


async def record_member_exit(session: AsyncSession, data: MemberExited) -> None:
    """The member left: no longer a candidate."""
    await repository.change_member(
        session, data.member_id, data.version, {"active": False}, utcnow()
    )


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
    rows = await repository.active_members_under(session, holder.area_code)
    loads = await repository.open_loads(session, [r.member_id for r in rows])
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
