"""What every use case of the service needs: dependencies, unit look-ups, event helpers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.events.base import EventData
from grassroots.contracts.events.members import MemberUpdated
from grassroots.contracts.events.notify import ContactErased, ContactUpserted
from grassroots.kit import context
from grassroots.kit.clock import utcnow
from grassroots.kit.outbox import Outbox, new_event_id
from grassroots.kit.problems import Invalid, NotFound, ProblemError
from grassroots.kit.sealing import KeyRing
from grassroots.kit.tables import outbox as outbox_table
from grassroots.members.adapters.bulk_insert import insert_rows
from grassroots.members.adapters.orm import org_units


@dataclass(frozen=True)
class Deps:
    """What the use cases are given by the composition root."""

    outbox: Outbox
    cipher: KeyRing
    deployment_prefix: str = ""


@dataclass(frozen=True)
class PendingEvent:
    """An event to record: its data, the area whose subject carries it, and its aggregate."""

    data: EventData
    area_code: str
    aggregate_id: str


def invalid(errors: Sequence[dict[str, str]]) -> ProblemError:
    """422 naming every bad field."""
    if len(errors) == 1:
        return Invalid(errors[0]["field"], errors[0]["message"])
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return ProblemError(
        422,
        f"invalid input: {fields}",
        title="Unprocessable Content",
        type_="https://grassroots.example.org/problems/validation",
        errors=[{**e, "pointer": "/" + e["field"]} for e in errors],
    )


async def load_unit(session: AsyncSession, unit_id: str, *, field: str | None = None) -> Any:
    """The unit row; 422 naming `field` (or 404 when no field is given) if it does not exist."""
    row = (await session.execute(select(org_units).where(org_units.c.id == unit_id))).first()
    if row is None:
        if field:
            raise Invalid(field, f"no organisation unit {unit_id}")
        raise NotFound(f"no organisation unit {unit_id}")
    return row


async def record_events(
    session: AsyncSession, outbox: Outbox, events: Sequence[PendingEvent], actor: str
) -> None:
    """Write many events into the outbox with one statement (same envelope as Outbox.add)."""
    if not events:
        return
    if len(events) == 1:
        event = events[0]
        await outbox.add(
            session,
            event.data,
            area_code=event.area_code,
            aggregate_id=event.aggregate_id,
            actor=actor,
        )
        return
    now = utcnow()
    writer = EnvelopeWriter(
        source=outbox.source,
        time=now,
        correlation_id=context.correlation_id.get(),
        causation_id=context.causation_id.get(),
        actor=actor,
    )
    subjects: dict[tuple[type[EventData], str], str] = {}
    rows = []
    for pending in events:
        data = pending.data
        key = (type(data), pending.area_code)
        if key not in subjects:
            subjects[key] = data.subject_for(pending.area_code)
        event_id = new_event_id()
        rows.append(
            {
                "event_id": event_id,
                "event_type": data.event_type(),
                "subject": subjects[key],
                "payload": writer.envelope(event_id, data, pending.aggregate_id, pending.area_code),
                "created_at": now,
                "published_at": None,
            }
        )
    await insert_rows(session, outbox_table, rows)


class EnvelopeWriter:
    """Writes the bytes `CloudEvent(...).to_json_bytes()` gives, for many events at once.

    A large import writes two envelopes per row; what is common to a batch (source, time,
    correlation, actor) is encoded once. A unit test checks both forms parse to the same event.
    """

    def __init__(
        self,
        *,
        source: str,
        time: datetime,
        correlation_id: str | None,
        causation_id: str | None,
        actor: str | None,
    ) -> None:
        def encode(value: str) -> str:
            # Ids, codes and type names need no escaping; anything else goes through json.
            if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
                return f'"{value}"'
            return json.dumps(value, ensure_ascii=False)

        self._source = encode(source)
        self._time = encode(time.isoformat().replace("+00:00", "Z"))
        optional = {"correlationid": correlation_id, "causationid": causation_id, "actor": actor}
        self._tail = "".join(f',"{k}":{encode(v)}' for k, v in optional.items() if v is not None)
        self._encode = encode

    def envelope(self, event_id: str, data: EventData, subject: str, area_code: str) -> bytes:
        """One event's envelope."""
        encode = self._encode
        parts = (
            '{"specversion":"1.0","id":',
            encode(event_id),
            ',"source":',
            self._source,
            ',"type":',
            encode(data.event_type()),
            ',"time":',
            self._time,
            ',"subject":',
            encode(subject),
            ',"datacontenttype":"application/json","data":',
            data.model_dump_json(),
            ',"areacode":',
            encode(area_code),
            self._tail,
            "}",
        )
        return "".join(parts).encode()


def member_updated(row: Any, *, org_unit_id: str | None = None) -> MemberUpdated:
    """The public state of a member row (no personal data) as `member_updated`."""
    return MemberUpdated(
        member_id=row.id,
        org_unit_id=org_unit_id or row.org_unit_id,
        stage=row.stage,
        skills=list(row.skills),
        in_service=row.in_service,
        duties=list(row.duties),
        version=row.version,
        occurred_at=utcnow(),
    )


def contact_upserted(
    member_id: str, *, name: str, phone: str | None, org_unit_id: str, consent: bool
) -> ContactUpserted:
    """A member's contact details for the notifications service (gr.notify only)."""
    return ContactUpserted(
        recipient_id=f"member:{member_id}",
        recipient_kind="member",
        name=name,
        phone=phone,
        org_unit_id=org_unit_id,
        public_name_consent=consent,
    )


def contact_erased(member_id: str) -> ContactErased:
    """Erase a member's contact details at the notifications service."""
    return ContactErased(recipient_id=f"member:{member_id}")
