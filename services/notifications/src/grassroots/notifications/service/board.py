"""Use cases of the public board: what members' events put on it, and reading it."""

from __future__ import annotations

from typing import Any

from grassroots.contracts.area import parent_area_codes
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import evaluation as ev
from grassroots.contracts.events import members as mem
from grassroots.kit.db import AsyncSession
from grassroots.kit.orgtree import get_unit
from grassroots.notifications.adapters import board as repo
from grassroots.notifications.adapters.recipients import load_contacts
from grassroots.notifications.domain.notification import new_id
from grassroots.notifications.domain.policy import rules_for
from grassroots.notifications.service.deps import Deps
from grassroots.notifications.service.pages import after_key, page_of
from grassroots.notifications.service.rules import apply_rules


async def _post(
    session: AsyncSession,
    event: CloudEvent,
    kind: str,
    area_code: str,
    content: dict[str, Any],
    org_unit_id: str | None = None,
    member_id: str | None = None,
    cause_id: str | None = None,
) -> None:
    await repo.add_board_item(
        session,
        {
            "id": new_id(),
            "cause_id": cause_id or event.id,
            "kind": kind,
            "area_code": area_code,
            "org_unit_id": org_unit_id,
            "member_id": member_id,
            "content": content,
            "published_at": event.time,
        },
    )


async def post_check_in(
    session: AsyncSession, event: CloudEvent, data: mem.MemberCheckedIn
) -> None:
    """A member's community check-in goes on the community's board."""
    unit = await get_unit(session, data.community_org_unit_id)
    area = unit.area_code if unit else event.areacode
    content = {"community": unit.name if unit else None}
    await _post(
        session, event, "check_in", area, content, data.community_org_unit_id, data.member_id
    )


async def post_claimed_post(
    session: AsyncSession, event: CloudEvent, data: mem.PostClaimed
) -> None:
    """A claimed service post goes on the board of the unit where it is served."""
    unit_id = data.post_org_unit_id or data.org_unit_id
    unit = await get_unit(session, unit_id)
    area = data.post_area_code or (unit.area_code if unit else event.areacode)
    content = {"post_id": data.post_id, "title": data.title}
    await _post(session, event, "post_claimed", area, content, unit_id, data.member_id)


async def post_commitment(
    session: AsyncSession, event: CloudEvent, data: mem.CommitmentPublished
) -> None:
    """A public commitment goes on the home unit's board and the residence community's."""
    content = {
        "commitment_id": data.commitment_id,
        "text": data.text,
        "due": data.due.isoformat() if data.due else None,
    }
    unit = await get_unit(session, data.org_unit_id)
    area = unit.area_code if unit else event.areacode
    await _post(session, event, "commitment", area, content, data.org_unit_id, data.member_id)
    community_id, community_area = data.community_org_unit_id, data.community_area_code
    if community_id and community_area and community_id != data.org_unit_id:
        # Both units assess the member (双重考核): the community shows it as well, as a
        # second board item with a cause of its own.
        await _post(
            session,
            event,
            "commitment",
            community_area,
            content,
            community_id,
            data.member_id,
            cause_id=f"{event.id}:community",
        )


async def publish_evaluation(
    session: AsyncSession, deps: Deps, event: CloudEvent, data: ev.EvaluationPublished
) -> None:
    """Rankings and results go on the board; members hear their own result."""
    unit = await get_unit(session, data.parent_org_unit_id)
    area = unit.area_code if unit else event.areacode
    content = {
        "publication_id": data.publication_id,
        "kind": data.kind,
        "period": data.period,
        "scheme": data.scheme,
        "entries": [e.model_dump(exclude_none=True) for e in data.entries],
    }
    await _post(session, event, data.kind, area, content, data.parent_org_unit_id)
    await apply_rules(session, deps, event, data, rules_for(event.type))


async def show_board(
    session: AsyncSession, deps: Deps, area: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Public items for an area and the areas enclosing it, with names members let be shown."""
    codes = [*parent_area_codes(area), area]
    rows = await repo.list_board_items(session, codes, after_key(cursor), limit)
    page, next_cursor = page_of(rows, limit)
    member_ids = {r.member_id for r in page if r.member_id}
    for r in page:
        member_ids |= {e["member_id"] for e in r.content.get("entries", []) if e.get("member_id")}
    people = await load_contacts(session, deps.sealer, [f"member:{m}" for m in member_ids])
    names = {
        rid.partition(":")[2]: c.name
        for rid, c in people.items()
        if c.public_name_consent and not c.erased and c.name
    }
    items = []
    for r in page:
        unit = await get_unit(session, r.org_unit_id) if r.org_unit_id else None
        content = dict(r.content)
        if "entries" in content:
            entries = []
            for entry in content["entries"]:
                entry = dict(entry)
                if entry.get("org_unit_id"):
                    entry_unit = await get_unit(session, entry["org_unit_id"])
                    entry["org_unit_name"] = entry_unit.name if entry_unit else None
                if entry.get("member_id"):
                    entry["member_name"] = names.get(entry["member_id"])
                entries.append(entry)
            content["entries"] = entries
        items.append(
            {
                "id": r.id,
                "kind": r.kind,
                "area_code": r.area_code,
                "org_unit_id": r.org_unit_id,
                "org_unit_name": unit.name if unit else None,
                "member_id": r.member_id,
                "member_name": names.get(r.member_id) if r.member_id else None,
                "content": content,
                "published_at": r.published_at,
            }
        )
    return items, next_cursor
