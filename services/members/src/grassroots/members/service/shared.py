"""What every use case of the service needs: dependencies, unit look-ups, event helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.base import EventData
from grassroots.contracts.events.members import MemberUpdated
from grassroots.contracts.events.notify import ContactErased, ContactUpserted
from grassroots.kit import context
from grassroots.kit.clock import utcnow
from grassroots.kit.outbox import Outbox, new_event_id
from grassroots.kit.problems import Invalid, NotFound, ProblemError
from grassroots.kit.tables import outbox as outbox_table
from grassroots.members.adapters.bulk_insert import insert_rows
from grassroots.members.adapters.crypto import FieldCipher
from grassroots.members.adapters.orm import org_units


@dataclass(frozen=True)
class Deps:
    """What the use cases are given by the composition root."""

    outbox: Outbox
    cipher: FieldCipher
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
    correlation, causation = context.correlation_id.get(), context.causation_id.get()
    subjects: dict[tuple[type[EventData], str], str] = {}
    rows = []
    for pending in events:
        data = pending.data
        key = (type(data), pending.area_code)
        if key not in subjects:
            subjects[key] = data.subject_for(pending.area_code)
        # Every field was validated when the event data was built; constructing the
        # envelope without re-validation keeps large imports fast.
        envelope = CloudEvent.model_construct(
            id=new_event_id(),
            source=outbox.source,
            type=data.event_type(),
            subject=pending.aggregate_id,
            time=now,
            data=data.model_dump(mode="json"),
            areacode=pending.area_code,
            correlationid=correlation,
            causationid=causation,
            actor=actor,
        )
        rows.append(
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "subject": subjects[key],
                "payload": envelope.to_json_bytes(),
                "created_at": now,
                "published_at": None,
            }
        )
    await insert_rows(session, outbox_table, rows)


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
