"""Floating members, lost contact, community check-in, claimed posts and public commitments."""

from __future__ import annotations

from typing import Any

from uuid6 import uuid7

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
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Conflict, Forbidden, Invalid
from grassroots.members.adapters import activities as repo
from grassroots.members.adapters.events import PendingEvent, record_events
from grassroots.members.service.commands import (
    CheckInIn,
    CommitmentIn,
    FlowOutIn,
    FlowReturnIn,
    LostContactIn,
    PostIn,
)
from grassroots.members.service.deps import Deps
from grassroots.members.service.registry import (
    load_member,
    member_view,
    require_active_member,
    require_reader,
    save_member,
)
from grassroots.members.service.shared import load_unit, member_updated


async def flow_out(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: FlowOutIn
) -> dict[str, Any]:
    """Mark a member floating; the destination is stored encrypted and never put on events."""
    row, area = await require_active_member(session, principal, member_id, "cadre")
    if row.floating:
        raise Conflict("the member is already floating; record the return first")
    today = clock.today()
    if body.expected_return is not None and body.expected_return < today:
        raise Invalid("expected_return", "lies in the past")
    spell_id = str(uuid7())
    await repo.add_spell(
        session,
        {
            "id": spell_id,
            "member_id": member_id,
            "destination_enc": deps.cipher.seal(
                body.destination, record_id=spell_id, field="destination"
            ),
            "destination_area": body.destination_area,
            "reason": body.reason,
            "expected_return": body.expected_return,
            "left_on": today,
            "returned_on": None,
        },
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
    return member_view(new)


async def flow_return(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: FlowReturnIn
) -> dict[str, Any]:
    """Record a floating member's return (and clear the lost-contact flag)."""
    row, area = await require_active_member(session, principal, member_id, "cadre")
    if not row.floating:
        raise Conflict("the member is not floating")
    await repo.close_spell(session, member_id, body.on or clock.today())
    new = await save_member(session, member_id, {"floating": False, "lost_contact": False})
    event = MemberReturned(
        member_id=member_id, org_unit_id=new.org_unit_id, version=new.version, occurred_at=utcnow()
    )
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return member_view(new)


async def set_lost_contact(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: LostContactIn
) -> dict[str, Any]:
    """Flag or clear loss of contact (counted in the structure statistics)."""
    row, area = await require_active_member(session, principal, member_id, "cadre")
    if row.lost_contact == body.lost:
        return member_view(row)
    new = await save_member(session, member_id, {"lost_contact": body.lost})
    await record_events(
        session, deps.outbox, [PendingEvent(member_updated(new), area, member_id)], principal.sub
    )
    return member_view(new)


async def list_floating(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    *,
    org_unit_id: str | None,
    destination_area: str | None,
    limit: int,
    after: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Floating members of the subtree, optionally those gone to one destination area."""
    principal.require_role("cadre")
    unit = await _scoped_unit(session, principal, org_unit_id)
    rows = await repo.floating_page(
        session,
        area_prefix=principal.area_prefix,
        unit_path=unit.path if unit is not None else None,
        destination_area=destination_area,
        after=after,
        limit=limit,
    )
    items = [
        {
            "member_id": r.id,
            "name": r.name,
            "org_unit_id": r.org_unit_id,
            "destination_area": r.destination_area,
            "left_on": r.left_on,
            "expected_return": r.expected_return,
            "lost_contact": r.lost_contact,
        }
        for r in rows[:limit]
    ]
    return items, items[-1]["member_id"] if len(rows) > limit else None


async def floating_by_destination(
    session: AsyncSession, deps: Deps, principal: Principal, *, org_unit_id: str | None
) -> list[dict[str, Any]]:
    """Counts of floating members per destination area."""
    principal.require_role("cadre")
    unit = await _scoped_unit(session, principal, org_unit_id)
    counts = await repo.floating_by_destination(
        session,
        area_prefix=principal.area_prefix,
        unit_path=unit.path if unit is not None else None,
    )
    return [{"destination_area": a, "members": n} for a, n in counts]


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
) -> dict[str, Any]:
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
    return member_view(new)


async def claim_post(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: PostIn
) -> dict[str, Any]:
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
    await repo.add_post(session, values)
    new = await save_member(session, member_id, {})
    event = PostClaimed(
        member_id=member_id,
        org_unit_id=new.org_unit_id,
        post_id=values["id"],
        title=body.title,
        post_org_unit_id=values["org_unit_id"],
        post_area_code=row.community_area if row.community_org_unit_id else area,
        version=new.version,
        occurred_at=utcnow(),
    )
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return values


async def publish_commitment(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: CommitmentIn
) -> dict[str, Any]:
    """Publish a public commitment (党员公开承诺)."""
    row, area = await _actor_member(session, principal, member_id)
    if body.due is not None and body.due < clock.today():
        raise Invalid("due", "lies in the past")
    values = {
        "id": str(uuid7()),
        "member_id": member_id,
        "text": body.text,
        "due": body.due,
        "published_at": utcnow(),
    }
    await repo.add_commitment(session, values)
    new = await save_member(session, member_id, {})
    event = CommitmentPublished(
        member_id=member_id,
        org_unit_id=new.org_unit_id,
        commitment_id=values["id"],
        due=body.due,
        text=body.text,
        community_org_unit_id=row.community_org_unit_id,
        community_area_code=row.community_area,
        version=new.version,
        occurred_at=utcnow(),
    )
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return values


async def list_posts(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    member_id: str,
    *,
    limit: int,
    after: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A member's claimed posts, oldest first, paged."""
    row, area = await load_member(session, member_id)
    require_reader(principal, row, area)
    rows = await repo.posts_page(session, member_id, after=after, limit=limit)
    items = rows[:limit]
    return items, items[-1]["id"] if len(rows) > limit else None


async def list_commitments(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    member_id: str,
    *,
    limit: int,
    after: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A member's public commitments, oldest first, paged."""
    row, area = await load_member(session, member_id)
    require_reader(principal, row, area)
    rows = await repo.commitments_page(session, member_id, after=after, limit=limit)
    items = rows[:limit]
    return items, items[-1]["id"] if len(rows) > limit else None
