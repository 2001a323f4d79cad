"""Reads and writes shared by the use cases: contacts, preferences, templates, notifications."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.kit.db import insert_ignoring
from grassroots.notifications import metrics
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.adapters.orm import contacts, notifications, preferences, templates
from grassroots.notifications.domain.templates import (
    DEFAULT_LOCALE,
    DEFAULT_TEMPLATES,
    TemplateText,
)

log = logging.getLogger(__name__)


def new_id() -> str:
    """A time-ordered id (UUIDv7)."""
    return str(uuid7())


@dataclass(frozen=True)
class Contact:
    """A recipient's contact as decrypted for one use; never logged or answered unmasked."""

    recipient_id: str
    recipient_kind: str
    erased: bool
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    tracking_code: str | None = None
    public_name_consent: bool = False

    def address(self, channel: str) -> str | None:
        """Where `channel` reaches this person."""
        return {"sms": self.phone, "email": self.email}.get(channel)

    def reachable(self) -> set[str]:
        """Channels this contact has an address for."""
        return {c for c in ("sms", "email") if self.address(c)}


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


@dataclass(frozen=True)
class Preference:
    """A recipient's opted-out channels and locale."""

    opted_out: frozenset[str] = frozenset()
    locale: str = DEFAULT_LOCALE


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


async def current_templates(session: AsyncSession) -> dict[tuple[str, str], TemplateText]:
    """The newest version of every template, over the built-in defaults."""
    current: dict[tuple[str, str], TemplateText] = {
        (key, locale): text
        for key, by_locale in DEFAULT_TEMPLATES.items()
        for locale, text in by_locale.items()
    }
    newest = (
        select(templates.c.key, templates.c.locale, func.max(templates.c.version).label("v"))
        .group_by(templates.c.key, templates.c.locale)
        .subquery()
    )
    rows = (
        await session.execute(
            select(templates).join(
                newest,
                (templates.c.key == newest.c.key)
                & (templates.c.locale == newest.c.locale)
                & (templates.c.version == newest.c.v),
            )
        )
    ).all()
    for row in rows:
        current[(row.key, row.locale)] = TemplateText(row.subject, row.body)
    return current


async def add_notifications(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert notifications, skipping any (cause, recipient, channel) that already exists."""
    if not rows:
        return
    # One cached statement run as executemany: SQLAlchemy batches it into multi-row INSERTs.
    statement = insert_ignoring(session, notifications, ["cause_id", "recipient_id", "channel"])
    await session.execute(statement, list(rows))
    for channel, count in Counter(row["channel"] for row in rows).items():
        metrics.NOTIFICATIONS.labels(channel, "pending").inc(count)


def notification_row(
    *,
    cause_id: str,
    recipient_id: str,
    recipient_kind: str,
    channel: str,
    rule: str,
    template_key: str,
    context: dict[str, Any],
    area_code: str,
    now: datetime,
    critical: bool = False,
    urgent: bool = False,
    request_id: str | None = None,
    broadcast_id: str | None = None,
    webhook_id: str | None = None,
    payload: bytes | None = None,
) -> dict[str, Any]:
    """A new pending notification, due now."""
    return {
        "id": new_id(),
        "cause_id": cause_id,
        "recipient_id": recipient_id,
        "channel": channel,
        "recipient_kind": recipient_kind,
        "rule": rule,
        "template_key": template_key,
        "context": context,
        "critical": critical,
        "urgent": urgent,
        "area_code": area_code,
        "request_id": request_id,
        "broadcast_id": broadcast_id,
        "webhook_id": webhook_id,
        "payload": payload,
        "subject": None,
        "body": None,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
        "read_at": None,
    }
