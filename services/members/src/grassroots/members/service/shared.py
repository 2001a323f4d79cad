"""What many use cases share: the 422 of several fields, unit look-ups, event builders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grassroots.contracts.events.members import MemberUpdated
from grassroots.contracts.events.notify import ContactErased, ContactUpserted
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid, NotFound, ProblemError
from grassroots.members.adapters import units


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
    row = await units.unit(session, unit_id)
    if row is None:
        if field:
            raise Invalid(field, f"no organisation unit {unit_id}")
        raise NotFound(f"no organisation unit {unit_id}")
    return row


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
