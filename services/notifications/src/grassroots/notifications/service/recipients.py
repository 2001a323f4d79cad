"""Use cases of recipients: sealed contacts, the member replica, preferences, who sees them."""

from __future__ import annotations

import logging
from typing import Any

from grassroots.contracts.events import members as mem
from grassroots.contracts.events import notify
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid, NotFound
from grassroots.notifications.adapters import recipients as repo
from grassroots.notifications.service.commands import PreferencesIn
from grassroots.notifications.service.deps import Deps

log = logging.getLogger(__name__)


async def record_contact(session: AsyncSession, deps: Deps, data: notify.ContactUpserted) -> None:
    """Store (sealed) the contact details of a citizen or member."""
    sealed = deps.sealer.seal(
        data.recipient_id,
        {
            "name": data.name,
            "phone": data.phone,
            "email": data.email,
            "tracking_code": data.tracking_code,
        },
        field="contact",
    )
    await repo.save_contact(
        session,
        {
            "recipient_id": data.recipient_id,
            "recipient_kind": data.recipient_kind,
            "sealed": sealed,
            "org_unit_id": data.org_unit_id,
            "request_id": data.request_id,
            "public_name_consent": data.public_name_consent,
            "erased_at": None,
            "updated_at": deps.clock(),
        },
    )


async def erase_contact(session: AsyncSession, deps: Deps, data: notify.ContactErased) -> None:
    """Forget a recipient's details; later notifications to them are dropped."""
    await repo.save_contact(
        session,
        {
            "recipient_id": data.recipient_id,
            "recipient_kind": data.recipient_id.partition(":")[0] or "citizen",
            "sealed": None,
            "org_unit_id": None,
            "request_id": None,
            "public_name_consent": False,
            "erased_at": deps.clock(),
            "updated_at": deps.clock(),
        },
    )
    log.info("contact erased", extra={"recipient": data.recipient_id})


async def record_member(
    session: AsyncSession, data: mem.MemberRegistered | mem.MemberUpdated
) -> None:
    """Keep a member's unit and duties; an older version never overwrites a newer one."""
    await repo.save_member(
        session,
        {
            "member_id": data.member_id,
            "org_unit_id": data.org_unit_id,
            "duties": list(data.duties),
            "active": True,
            "version": data.version,
        },
    )


async def move_member(session: AsyncSession, data: mem.MemberTransferred) -> None:
    """A transfer was accepted: the member now belongs to another unit."""
    await repo.change_member(
        session, data.member_id, data.version, {"org_unit_id": data.org_unit_id}
    )


async def retire_member(session: AsyncSession, data: mem.MemberExited) -> None:
    """An exited member receives no broadcasts."""
    await repo.change_member(
        session, data.member_id, data.version, {"org_unit_id": data.org_unit_id, "active": False}
    )


async def place_recipient(session: AsyncSession, principal: Principal, recipient: str) -> str:
    """The recipient, when the caller may see them: themselves, or staff of their area.

    A recipient this service cannot place in an area is seen only by a token of the whole country.
    """
    kind, _, ident = recipient.partition(":")
    if kind not in ("citizen", "member") or not ident:
        raise Invalid("recipient", "must be citizen:<request_id> or member:<member_id>")
    if recipient == f"member:{principal.sub}":
        return recipient
    principal.require_role("cadre")
    area = await repo.recipient_area(session, recipient)
    if area is None:
        if principal.area_prefix:
            raise NotFound(f"no recipient {recipient} in this token's scope")
        return recipient
    principal.require_area(area)
    return recipient


async def show_preferences(session: AsyncSession, recipient: str) -> dict[str, Any]:
    """A recipient's preferences (the defaults when none are stored)."""
    row = await repo.get_preferences(session, recipient)
    if row is None:
        return {"recipient": recipient}
    return {"recipient": recipient, "opted_out": row.opted_out, "locale": row.locale}


async def replace_preferences(
    session: AsyncSession, deps: Deps, recipient: str, body: PreferencesIn
) -> dict[str, Any]:
    """Replace a recipient's preferences (the caller was placed by `place_recipient`)."""
    values = {"opted_out": body.opted_out, "locale": body.locale, "updated_at": deps.clock()}
    await repo.save_preferences(session, recipient, values)
    return {"recipient": recipient, **body.model_dump()}
