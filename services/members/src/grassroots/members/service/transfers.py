"""Transfers of organisation relation: a 90-day letter the receiving side accepts or rejects."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from uuid6 import uuid7

from grassroots.contracts.events.members import MemberTransferred, TransferStatusChanged
from grassroots.kit import clock
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Conflict, Forbidden, NotFound
from grassroots.members.adapters import members as member_repo
from grassroots.members.adapters import transfers as repo
from grassroots.members.adapters.events import PendingEvent, record_events
from grassroots.members.domain import transfer as machine
from grassroots.members.service.commands import DecisionIn, TransferIn
from grassroots.members.service.deps import Deps
from grassroots.members.service.registry import plain_phone, require_active_member, save_member
from grassroots.members.service.shared import contact_upserted, load_unit


def _letter(row: Any) -> machine.TransferLetter:
    return machine.TransferLetter(
        row.from_org_unit_id, row.to_org_unit_id, row.issued_on, row.valid_until, row.status
    )


def transfer_view(row: Any, today: date) -> dict[str, Any]:
    """The answer for a transfer row."""
    return {**row._mapping, "overdue": machine.is_overdue(_letter(row), today)}


def _status_event(row: Any, status: str, org_unit_id: str, version: int) -> TransferStatusChanged:
    return TransferStatusChanged(
        member_id=row.member_id,
        org_unit_id=org_unit_id,
        transfer_id=row.id,
        to_org_unit_id=row.to_org_unit_id,
        status=status,  # type: ignore[arg-type]
        valid_until=row.valid_until,
        version=version,
        occurred_at=utcnow(),
    )


async def issue_transfer(
    session: AsyncSession, deps: Deps, principal: Principal, member_id: str, body: TransferIn
) -> dict[str, Any]:
    """The sending side issues a letter; the member stays in their unit until acceptance."""
    member, area = await require_active_member(session, principal, member_id, "org_admin")
    await load_unit(session, body.to_org_unit_id, field="to_org_unit_id")
    open_letter = await repo.open_letter_of(session, member_id)
    if open_letter:
        raise Conflict(f"the member already has an open transfer letter ({open_letter})")
    today = clock.today()
    try:
        letter = machine.issue_letter(member.org_unit_id, body.to_org_unit_id, today)
    except machine.TransferConflict as exc:
        raise Conflict(str(exc)) from exc
    letter_id = str(uuid7())
    values = {
        "id": letter_id,
        "member_id": member_id,
        "from_org_unit_id": letter.from_org_unit_id,
        "to_org_unit_id": letter.to_org_unit_id,
        "reason": body.reason,
        "status": letter.status,
        "issued_on": letter.issued_on,
        "valid_until": letter.valid_until,
        "note": None,
        "created_by": principal.sub,
        "created_at": utcnow(),
    }
    await repo.add_letter(session, values)
    # The letter counts as a change of the member aggregate, so its events are ordered too.
    new = await save_member(session, member_id, {})
    row = await repo.letter(session, letter_id)
    event = _status_event(row, "issued", member.org_unit_id, new.version)
    await record_events(session, deps.outbox, [PendingEvent(event, area, member_id)], principal.sub)
    return transfer_view(row, today)


async def _load_transfer(session: AsyncSession, transfer_id: str) -> Any:
    row = await repo.letter(session, transfer_id, for_update=True)
    if row is None:
        raise NotFound(f"no transfer {transfer_id}")
    return row


async def decide_transfer(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    transfer_id: str,
    action: Literal["accept", "reject", "revoke", "expire"],
    body: DecisionIn,
) -> dict[str, Any]:
    """Accept or reject (receiving side); revoke, or close as expired (sending side)."""
    principal.require_role("org_admin")
    row = await _load_transfer(session, transfer_id)
    sender = await load_unit(session, row.from_org_unit_id)
    receiver = await load_unit(session, row.to_org_unit_id)
    by_sender = action in {"revoke", "expire"}
    deciding_side = sender if by_sender else receiver
    if not principal.covers(deciding_side.area_code):
        side = "sending" if by_sender else "receiving"
        raise Forbidden(f"only the {side} organisation may {action} this letter")
    today = clock.today()
    try:
        letter = machine.apply_action(_letter(row), action, today)
    except machine.TransferConflict as exc:
        raise Conflict(str(exc)) from exc
    await repo.decide_letter(
        session,
        transfer_id,
        {
            "status": letter.status,
            "decided_at": utcnow(),
            "decided_by": principal.sub,
            "note": body.note,
        },
    )
    member = await member_repo.member_for_update(session, row.member_id)
    events: list[PendingEvent] = []
    if action == "accept":
        if member.status != "active" or member.org_unit_id != row.from_org_unit_id:
            raise Conflict("the member is no longer in the sending unit")
        new = await save_member(session, member.id, {"org_unit_id": row.to_org_unit_id})
        events.append(
            PendingEvent(
                MemberTransferred(
                    member_id=member.id,
                    org_unit_id=row.to_org_unit_id,
                    from_org_unit_id=row.from_org_unit_id,
                    transfer_id=transfer_id,
                    version=new.version,
                    occurred_at=utcnow(),
                ),
                receiver.area_code,
                member.id,
            )
        )
        events.append(
            PendingEvent(
                contact_upserted(
                    member.id,
                    name=new.name,
                    phone=plain_phone(deps.cipher, new),
                    org_unit_id=new.org_unit_id,
                    consent=new.public_name_consent,
                ),
                receiver.area_code,
                member.id,
            )
        )
        area, unit_id = receiver.area_code, row.to_org_unit_id
    else:
        new = await save_member(session, member.id, {})
        area, unit_id = sender.area_code, row.from_org_unit_id
    events.insert(
        0, PendingEvent(_status_event(row, letter.status, unit_id, new.version), area, member.id)
    )
    await record_events(session, deps.outbox, events, principal.sub)
    updated = await repo.letter(session, transfer_id)
    return transfer_view(updated, today)


async def get_transfer(
    session: AsyncSession, deps: Deps, principal: Principal, transfer_id: str
) -> dict[str, Any]:
    """One letter, seen from either side."""
    row = await repo.letter(session, transfer_id)
    if row is None:
        raise NotFound(f"no transfer {transfer_id}")
    sender = await load_unit(session, row.from_org_unit_id)
    receiver = await load_unit(session, row.to_org_unit_id)
    if not (principal.covers(sender.area_code) or principal.covers(receiver.area_code)):
        raise Forbidden("the letter is outside this token's scope")
    return transfer_view(row, clock.today())


async def list_transfers(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    *,
    direction: Literal["incoming", "outgoing", "any"],
    status: str | None,
    overdue: bool,
    limit: int,
    after: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Letters leaving or reaching the caller's subtree; `overdue` lists open expired ones."""
    principal.require_role("cadre")
    today = clock.today()
    rows = await repo.letters_page(
        session,
        area_prefix=principal.area_prefix,
        direction=direction,
        status=status,
        overdue_on=today if overdue else None,
        after=after,
        limit=limit,
    )
    items = [transfer_view(r, today) for r in rows[:limit]]
    return items, items[-1]["id"] if len(rows) > limit else None
