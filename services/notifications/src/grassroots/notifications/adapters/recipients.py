"""SQL of recipients: sealed contacts, preferences, the member replica, where a recipient lives."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.db import insert_ignoring
from grassroots.kit.tables import org_units
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.adapters.orm import contacts, members, preferences
from grassroots.notifications.domain.recipients import Contact, Preference


async def load_contacts(
    session: AsyncSession, sealer: Sealer, recipient_ids: Iterable[str]
) -> dict[str, Contact]:
    """Decrypted contacts of the given recipients (erased ones flagged, without details)."""
    ids = list(set(recipient_ids))
    if not ids:
        return {}
    rows = (await session.execute(select(contacts).where(contacts.c.recipient_id.in_(ids)))).all()
    out: dict[str, Contact] = {}
    for row in rows:
        if row.erased_at is not None or row.sealed is None:
            out[row.recipient_id] = Contact(row.recipient_id, row.recipient_kind, erased=True)
            continue
        details = sealer.open(row.recipient_id, row.sealed, field="contact")
        out[row.recipient_id] = Contact(
            row.recipient_id,
            row.recipient_kind,
            erased=False,
            name=details.get("name"),
            phone=details.get("phone"),
            email=details.get("email"),
            tracking_code=details.get("tracking_code"),
            public_name_consent=bool(row.public_name_consent),
        )
    return out


async def save_contact(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or replace one contact row (keyed by `recipient_id`)."""
    inserted = await session.execute(
        insert_ignoring(session, contacts, ["recipient_id"]).values(**values)
    )
    if not inserted.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            update(contacts)
            .where(contacts.c.recipient_id == values["recipient_id"])
            .values(**values)
        )


async def load_preferences(
    session: AsyncSession, recipient_ids: Iterable[str]
) -> dict[str, Preference]:
    """Stored preferences of the given recipients (absent ones use the defaults)."""
    ids = list(set(recipient_ids))
    if not ids:
        return {}
    rows = (
        await session.execute(select(preferences).where(preferences.c.recipient_id.in_(ids)))
    ).all()
    return {r.recipient_id: Preference(frozenset(r.opted_out), r.locale) for r in rows}


async def get_preferences(session: AsyncSession, recipient: str) -> Any | None:
    """The stored preferences row of one recipient, or None."""
    query = select(preferences).where(preferences.c.recipient_id == recipient)
    return (await session.execute(query)).first()


async def save_preferences(session: AsyncSession, recipient: str, values: dict[str, Any]) -> None:
    """Replace (or first store) one recipient's preferences."""
    changed = await session.execute(
        update(preferences).where(preferences.c.recipient_id == recipient).values(**values)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        await session.execute(preferences.insert().values(recipient_id=recipient, **values))


async def recipient_area(session: AsyncSession, recipient: str) -> str | None:
    """Where a recipient belongs: a member's unit, a citizen's request's unit."""
    kind, _, ident = recipient.partition(":")
    if kind == "member":
        query = select(org_units.c.area_code).join(members, members.c.org_unit_id == org_units.c.id)
        found = await session.scalar(query.where(members.c.member_id == ident))
    else:
        query = select(org_units.c.area_code).join(
            contacts, contacts.c.org_unit_id == org_units.c.id
        )
        found = await session.scalar(query.where(contacts.c.recipient_id == recipient))
    return str(found) if found is not None else None


async def save_member(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a member's registration or update; an older version never overwrites a newer one."""
    inserted = await session.execute(
        insert_ignoring(session, members, ["member_id"]).values(**values)
    )
    if not inserted.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            update(members)
            .where(
                members.c.member_id == values["member_id"], members.c.version < values["version"]
            )
            .values(**values)
        )


async def change_member(
    session: AsyncSession, member_id: str, version: int, values: dict[str, Any]
) -> None:
    """Apply a newer change; when it outruns the registration, keep it as the first row."""
    inserted = await session.execute(
        insert_ignoring(session, members, ["member_id"]).values(
            {"member_id": member_id, "duties": [], "active": True, "version": version} | values
        )
    )
    if not inserted.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            update(members)
            .where(members.c.member_id == member_id, members.c.version < version)
            .values(version=version, **values)
        )


async def member_unit_id(session: AsyncSession, member_id: str) -> str | None:
    """The unit a member belongs to in the replica, or None."""
    found = await session.scalar(
        select(members.c.org_unit_id).where(members.c.member_id == member_id)
    )
    return str(found) if found is not None else None


async def active_members_of_unit(session: AsyncSession, unit_id: str) -> list[Any]:
    """(member_id, duties) of the active members of one unit."""
    query = select(members.c.member_id, members.c.duties).where(
        members.c.org_unit_id == unit_id, members.c.active.is_(True)
    )
    return list((await session.execute(query)).all())


async def active_members_under(
    session: AsyncSession, prefix: str, after: str | None, limit: int
) -> list[Any]:
    """(member_id, area_code) of active members under an area prefix, by id after `after`."""
    query = (
        select(members.c.member_id, org_units.c.area_code)
        .join(org_units, org_units.c.id == members.c.org_unit_id)
        .where(members.c.active.is_(True), org_units.c.area_code.startswith(prefix))
        .order_by(members.c.member_id)
        .limit(limit)
    )
    if after:
        query = query.where(members.c.member_id > after)
    return list((await session.execute(query)).all())
