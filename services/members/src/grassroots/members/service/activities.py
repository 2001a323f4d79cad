"""Floating members, lost contact, community check-in, claimed posts and public commitments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.contracts.area import AreaCode
from grassroots.contracts.events.members import (
    CommitmentPublished,
    MemberCheckedIn,
    MemberFloating,
    MemberReturned,
    PostClaimed,
)
from grassroots.kit import clock
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.problems import Conflict, Forbidden, Invalid
from grassroots.members.adapters.orm import commitments, floating_spells, members, org_units, posts
from grassroots.members.service.registry import (
    MemberOut,
    load_member,
    member_out,
    require_active_member,
    require_reader,
    save_member,
)
from grassroots.members.service.shared import (
    Deps,
    PendingEvent,
    load_unit,
    member_updated,
    record_events,
)


class FlowOutIn(BaseModel):
    """Body of `flow-out`: where the member goes (kept encrypted), why, and until when."""

    destination: str = Field(min_length=1, max_length=200)
    destination_area: AreaCode | None = Field(
        default=None, description="coarse area code (province or city) for counting by destination"
    )
    reason: str = Field(min_length=1, max_length=500)
    expected_return: date | None = None


class FlowReturnIn(BaseModel):
    """Body of `flow-return`."""

    on: date | None = None


class LostContactIn(BaseModel):
    """Body of `lost-contact`."""

    lost: bool


class CheckInIn(BaseModel):
    """Body of `community-checkin`."""

    community_org_unit_id: str = Field(min_length=1, max_length=36)


class PostIn(BaseModel):
    """Body of `posts`: a service post the member claims in the community."""

    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class PostOut(BaseModel):
    """A claimed post."""

    id: str
    member_id: str
    org_unit_id: str
    title: str
    description: str | None
    claimed_at: datetime


class CommitmentIn(BaseModel):
    """Body of `commitments`."""

    text: str = Field(min_length=1, max_length=2000)
    due: date | None = None


class CommitmentOut(BaseModel):
    """A public commitment."""

    id: str
    member_id: str
    text: str
    due: date | None
    published_at: datetime


class FloatingOut(BaseModel):
    """A floating member as listed (destination detail stays encrypted)."""

    member_id: str
    name: str
    org_unit_id: str
    destination_area: str | None
    left_on: date
    expected_return: date | None
    lost_contact: bool


class DestinationCount(BaseModel):
    """How many members float to one destination area."""

    destination_area: str | None
    members: int


async def flow_out(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: FlowOutIn
) -> MemberOut:
    """Mark a member floating; the destination is stored encrypted and never put on events."""
    row, area = await require_active_member(session, principal, member_id, "cadre")
    if row.floating:
        raise Conflict("the member is already floating; record the return first")
    today = clock.today()
    if body.expected_return is not None and body.expected_return < today:
        raise Invalid("expected_return", "lies in the past")
    spell_id = str(uuid7())
    await session.execute(
        insert(floating_spells).values(
            id=spell_id,
            member_id=member_id,
            destination_enc=deps.cipher.seal(
                body.destination, record_id=spell_id, field="destination"
            ),
            destination_area=body.destination_area,
            reason=body.reason,
            expected_return=body.expected_return,
            left_on=today,
            returned_on=None,
        )
    )
    new = await save_member(session, member_id, {"floating": True})
    event = MemberFloating(
        member_id=member_id,
        org_unit_id=new.org_unit_id,
        expected_return=body.expected_return,
        version=new.version,
        occurred_at=utcnow(),
    )
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return member_out(new)


async def flow_return(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: FlowReturnIn
) -> MemberOut:
    """Record a floating member's return (and clear the lost-contact flag)."""
    row, area = await require_active_member(session, principal, member_id, "cadre")
    if not row.floating:
        raise Conflict("the member is not floating")
    await session.execute(
        update(floating_spells)
        .where(floating_spells.c.member_id == member_id, floating_spells.c.returned_on.is_(None))
        .values(returned_on=body.on or clock.today())
    )
    new = await save_member(session, member_id, {"floating": False, "lost_contact": False})
    event = MemberReturned(
        member_id=member_id, org_unit_id=new.org_unit_id, version=new.version, occurred_at=utcnow()
    )
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return member_out(new)


async def set_lost_contact(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: LostContactIn
) -> MemberOut:
    """Flag or clear loss of contact (counted in the structure statistics)."""
    row, area = await require_active_member(session, principal, member_id, "cadre")
    if row.lost_contact == body.lost:
        return member_out(row)
    new = await save_member(session, member_id, {"lost_contact": body.lost})
    await record_events(
        session, deps.outbox, [PendingEvent(member_updated(new), area, member_id)], principal.sub
    )
    return member_out(new)


def _floating_query(principal: Principal, unit: Any | None) -> Any:
    query = (
        select(
            members.c.id,
            members.c.name,
            members.c.org_unit_id,
            members.c.lost_contact,
            floating_spells.c.destination_area,
            floating_spells.c.left_on,
            floating_spells.c.expected_return,
        )
        .join(org_units, org_units.c.id == members.c.org_unit_id)
        .join(
            floating_spells,
            (floating_spells.c.member_id == members.c.id) & floating_spells.c.returned_on.is_(None),
        )
        .where(members.c.status == "active", members.c.floating.is_(True))
        .where(org_units.c.area_code.startswith(principal.area_prefix))
    )
    if unit is not None:
        query = query.where(org_units.c.path.startswith(unit.path))
    return query


async def list_floating(
    session: AsyncSession,
    principal: Principal,
    *,
    org_unit_id: str | None,
    destination_area: str | None,
    limit: int,
    after: str | None,
) -> tuple[list[FloatingOut], str | None]:
    """Floating members of the subtree, optionally those gone to one destination area."""
    principal.require_role("cadre")
    unit = await _scoped_unit(session, principal, org_unit_id)
    query = _floating_query(principal, unit)
    if destination_area is not None:
        query = query.where(floating_spells.c.destination_area == destination_area)
    if after is not None:
        query = query.where(members.c.id > after)
    rows = (await session.execute(query.order_by(members.c.id).limit(limit + 1))).all()
    items = [
        FloatingOut(
            member_id=r.id,
            name=r.name,
            org_unit_id=r.org_unit_id,
            destination_area=r.destination_area,
            left_on=r.left_on,
            expected_return=r.expected_return,
            lost_contact=r.lost_contact,
        )
        for r in rows[:limit]
    ]
    return items, items[-1].member_id if len(rows) > limit else None


async def floating_by_destination(
    session: AsyncSession, principal: Principal, *, org_unit_id: str | None
) -> list[DestinationCount]:
    """Counts of floating members per destination area."""
    principal.require_role("cadre")
    unit = await _scoped_unit(session, principal, org_unit_id)
    inner = _floating_query(principal, unit).subquery()
    rows = await session.execute(
        select(inner.c.destination_area, func.count())
        .group_by(inner.c.destination_area)
        .order_by(func.count().desc())
    )
    return [DestinationCount(destination_area=a, members=n) for a, n in rows]


async def _scoped_unit(session: AsyncSession, principal: Principal, unit_id: str | None) -> Any:
    if unit_id is None:
        return None
    unit = await load_unit(session, unit_id, field="org_unit")
    principal.require_area(unit.area_code)
    return unit


async def _actor_member(
    session: AsyncSession, principal: Principal, member_id: str, also_area: str | None = None
) -> tuple[Any, str]:
    """The member acting on their own record, or a cadre of their unit (or of `also_area`)."""
    row, area = await load_member(session, member_id, for_update=True)
    if principal.role == "member":
        if principal.sub != member_id:
            raise Forbidden("a member may act only on their own record")
    else:
        principal.require_role("cadre")
        if also_area is None or not principal.covers(also_area):
            principal.require_area(area)
    if row.status != "active":
        raise Conflict(f"the member's record is {row.status}")
    return row, area


async def community_checkin(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: CheckInIn
) -> MemberOut:
    """An in-service member checks in at the residence community (dual affiliation)."""
    community = await load_unit(session, body.community_org_unit_id, field="community_org_unit_id")
    # The community's own cadres register the check-ins of members working elsewhere.
    row, area = await _actor_member(session, principal, member_id, also_area=community.area_code)
    if not row.in_service:
        raise Conflict("only in-service members check in at a residence community")
    if community.domain != "community":
        raise Invalid("community_org_unit_id", "is not a community organisation")
    if row.community_org_unit_id == community.id:
        raise Conflict("the member has already checked in there")
    new = await save_member(
        session, member_id, {"community_org_unit_id": community.id, "checked_in_at": utcnow()}
    )
    event = MemberCheckedIn(
        member_id=member_id,
        org_unit_id=new.org_unit_id,
        community_org_unit_id=community.id,
        version=new.version,
        occurred_at=utcnow(),
    )
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return member_out(new)


async def claim_post(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: PostIn
) -> PostOut:
    """Claim a service post (in the checked-in community, else the member's own unit)."""
    row, area = await _actor_member(session, principal, member_id)
    values = {
        "id": str(uuid7()),
        "member_id": member_id,
        "org_unit_id": row.community_org_unit_id or row.org_unit_id,
        "title": body.title,
        "description": body.description,
        "claimed_at": utcnow(),
    }
    await session.execute(insert(posts).values(**values))
    new = await save_member(session, member_id, {})
    event = PostClaimed(
        member_id=member_id,
        org_unit_id=new.org_unit_id,
        post_id=values["id"],
        title=body.title,
        version=new.version,
        occurred_at=utcnow(),
    )
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return PostOut.model_validate(values)


async def publish_commitment(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: CommitmentIn
) -> CommitmentOut:
    """Publish a public commitment (党员公开承诺)."""
    _, area = await _actor_member(session, principal, member_id)
    if body.due is not None and body.due < clock.today():
        raise Invalid("due", "lies in the past")
    values = {
        "id": str(uuid7()),
        "member_id": member_id,
        "text": body.text,
        "due": body.due,
        "published_at": utcnow(),
    }
    await session.execute(insert(commitments).values(**values))
    new = await save_member(session, member_id, {})
    event = CommitmentPublished(
        member_id=member_id,
        org_unit_id=new.org_unit_id,
        commitment_id=values["id"],
        due=body.due,
        version=new.version,
        occurred_at=utcnow(),
    )
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return CommitmentOut.model_validate(values)


async def list_posts(session: AsyncSession, principal: Principal, member_id: str) -> list[PostOut]:
    """A member's claimed posts."""
    row, area = await load_member(session, member_id)
    require_reader(principal, row, area)
    rows = await session.execute(
        select(posts).where(posts.c.member_id == member_id).order_by(posts.c.id).limit(500)
    )
    return [PostOut.model_validate(dict(r._mapping)) for r in rows]


async def list_commitments(
    session: AsyncSession, principal: Principal, member_id: str
) -> list[CommitmentOut]:
    """A member's public commitments."""
    row, area = await load_member(session, member_id)
    require_reader(principal, row, area)
    rows = await session.execute(
        select(commitments)
        .where(commitments.c.member_id == member_id)
        .order_by(commitments.c.id)
        .limit(500)
    )
    return [CommitmentOut.model_validate(dict(r._mapping)) for r in rows]
